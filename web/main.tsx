// The web client: sign in with a token, then one screen at a time, chosen by the address's hash
// (#/stock, the default, #/items, …) from a nav bar that shows only what the role may see.
// Served by the node at /, it talks to the same origin only.
import { render, type ComponentType } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import type { Me, NodeInfo, RoleName } from '../api/index.ts'
import { call, Refused, token } from './api.ts'
import { History } from './history.tsx'
import { dictionaries, initialLang, type Lang, type Words } from './i18n.ts'
import { Items } from './items.tsx'
import { MovementForm } from './movement.tsx'
import { NetworkMap } from './network.tsx'
import { mayDo, OfflineBanner, Problem, type ScreenProps } from './screen.tsx'
import { StockList, useLiveStock } from './stock.tsx'
import { Transfers } from './transfers.tsx'
import { Verify } from './verify.tsx'
import { Where } from './where.tsx'
import './style.css'

interface Screen {
  path: string
  label: keyof Words
  component: ComponentType<ScreenProps>
  /** The weakest role that sees it. */
  least: RoleName
}

/** The screens, in the nav bar's order; the first is the default. */
const SCREENS: Screen[] = [
  { path: '#/stock', label: 'stock', component: Warehouse, least: 'viewer' },
  { path: '#/items', label: 'items', component: Items, least: 'viewer' },
  { path: '#/history', label: 'history', component: History, least: 'viewer' },
  { path: '#/verify', label: 'verifyNav', component: Verify, least: 'operator' },
  { path: '#/where', label: 'navWhere', component: Where, least: 'viewer' },
  { path: '#/transfers', label: 'navTransfers', component: Transfers, least: 'viewer' },
  { path: '#/network', label: 'navNetwork', component: NetworkMap, least: 'viewer' },
]

/** The address's hash, followed as it changes (links, back and forward). */
function useHash(): string {
  const [hash, setHash] = useState(location.hash)
  useEffect(() => {
    const changed = () => setHash(location.hash)
    addEventListener('hashchange', changed)
    return () => removeEventListener('hashchange', changed)
  }, [])
  return hash
}

/** The screen a hash names: its first segment (#/transfers/<id> is one transfer on its screen). */
const routeOf = (hash: string) => /^#\/[^/]*/.exec(hash)?.[0]

/** The nav bar and the screen the hash names (the default one for any other hash). */
function Screens({ warehouse, ...props }: ScreenProps & { warehouse: string }) {
  const { me, words } = props
  const hash = useHash()
  const route = routeOf(hash)
  const shown = SCREENS.filter((screen) => mayDo(me, screen.least))
  const current = shown.find((screen) => screen.path === route) ?? shown[0]
  useEffect(() => {
    // A hash no screen of this role has reads as the default screen's. Only while the address
    // still holds what this render saw: effects run after the paint, and a navigation since
    // (a click, a link, the address typed) is newer, its hashchange on its way; writing over it
    // sent the user back to the screen they had just left.
    const addressed = routeOf(location.hash)
    if (route !== current.path && addressed === route) {
      history.replaceState(null, '', current.path)
    }
  }, [route, current])
  useEffect(() => {
    // Which warehouse is in the tab's title too: a user may have one tab for each.
    document.title = [words[current.label], warehouse, 'almacen'].filter(Boolean).join(' · ')
  }, [current, words, warehouse])
  const Current = current.component
  return (
    <>
      <nav class="screens" aria-label={words.screens}>
        <ul>
          {shown.map((screen) => (
            <li key={screen.path}>
              <a href={screen.path} aria-current={screen === current ? 'page' : undefined}>
                {words[screen.label]}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <Current key={current.path} {...props} />
    </>
  )
}

function App() {
  const [lang, setLang] = useState<Lang>(initialLang)
  const [me, setMe] = useState<Me | null>(null)
  const [checking, setChecking] = useState(token.get() !== null)
  const [unreachable, setUnreachable] = useState(false)
  const [warehouse, setWarehouse] = useState('')
  const words = dictionaries[lang]

  useEffect(() => {
    document.documentElement.lang = lang
    localStorage.setItem('almacen.lang', lang)
  }, [lang])
  // A token kept from earlier in this tab: still good? A refusal says no. A node restarting,
  // busy (5xx, 429) or out of reach says nothing of the token, which is shown once and cannot be
  // typed again: it is kept, and asked about every second (as the event stream retries) until
  // answered.
  useEffect(() => {
    if (!checking) return
    let stopped = false
    async function checkToken(): Promise<void> {
      while (!stopped) {
        try {
          setMe(await call<Me>('/me'))
          break
        } catch (error) {
          // A refusal that is no passing trouble (401, or a 4xx a proxy gives for ever): signed
          // out, as before, rather than a notice that the node cannot be reached, which it was.
          if (error instanceof Refused && error.status < 500 && error.status !== 429) {
            token.clear()
            break
          }
          setUnreachable(true)
          await new Promise((resolve) => setTimeout(resolve, 1000))
        }
      }
      setChecking(false)
    }
    void checkToken()
    return () => {
      stopped = true
    }
  }, [])

  // Its name once signed in (GET /node needs a token); until then, its address.
  useEffect(() => {
    if (me)
      call<NodeInfo>('/node').then(
        (node) => setWarehouse(node.name),
        () => {}
      )
  }, [me])

  const switchLang = () => setLang(lang === 'en' ? 'es' : 'en')
  const [farewell, setFarewell] = useState('')
  const signOut = (sentence = '') => {
    token.clear()
    setFarewell(sentence)
    setMe(null)
  }
  if (checking) {
    return unreachable ? (
      <main>
        <OfflineBanner words={words} connected={false} />
      </main>
    ) : null
  }
  return (
    <>
      <header>
        <strong>
          almacen · <span data-testid="warehouse">{(me && warehouse) || location.host}</span>
        </strong>
        {me && (
          <span class="who">
            {words.signedInAs} {me.user} · <span data-testid="role">{me.role}</span>
          </span>
        )}
        <button type="button" onClick={switchLang}>
          {words.language}
        </button>
        {me && (
          <button type="button" onClick={() => signOut()}>
            {words.signOut}
          </button>
        )}
      </header>
      {me ? (
        <Screens me={me} words={words} onRefused={signOut} warehouse={warehouse} />
      ) : (
        <SignIn words={words} onSignedIn={setMe} problem={farewell} />
      )}
    </>
  )
}

interface SignInProps {
  words: Words
  onSignedIn(me: Me): void
  /** Why the last session ended, when the node ended it. */
  problem: string
}

function SignIn({ words, onSignedIn, ...props }: SignInProps) {
  const [value, setValue] = useState('')
  const [problem, setProblem] = useState(props.problem)
  const field = useRef<HTMLInputElement>(null)
  useEffect(() => field.current!.focus(), [])
  async function submit(event: Event) {
    event.preventDefault()
    try {
      const me = await call<Me>('/me', { token: value.trim() })
      token.set(value.trim())
      onSignedIn(me)
    } catch (error) {
      setProblem(error instanceof Refused ? error.message : words.offline)
    }
  }
  return (
    <main>
      <form class="sign-in" onSubmit={submit}>
        <h1>{words.signInTitle}</h1>
        <label for="token">{words.tokenLabel}</label>
        <input
          id="token"
          ref={field}
          type="password"
          autocomplete="off"
          required
          value={value}
          onInput={(e) => setValue(e.currentTarget.value)}
          aria-describedby="token-hint"
        />
        <p id="token-hint" class="hint">
          {words.tokenHint}
        </p>
        <Problem text={problem} />
        <button type="submit">{words.signIn}</button>
      </form>
    </main>
  )
}

function Warehouse({ me, words, onRefused }: ScreenProps) {
  const live = useLiveStock(onRefused)
  const mayMove = mayDo(me, 'operator')
  return (
    <main>
      <OfflineBanner words={words} connected={live.connected} />
      {mayMove ? (
        <MovementForm words={words} skus={[...live.rows.keys()]} onRecorded={live.refresh} />
      ) : (
        <p class="hint">{words.readOnly}</p>
      )}
      <StockList words={words} rows={live.rows} connected={live.connected} />
    </main>
  )
}

render(<App />, document.getElementById('app')!)
