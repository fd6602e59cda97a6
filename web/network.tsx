// The network map: every warehouse with its state (alive, suspect, failed, left) as this node's
// membership sees it, how long a round trip to it takes, how far behind this node's replica of
// its ledger is, and how many transfer messages wait for it. A state change arrives on the event
// stream (member.changed) and shows at once; round trips, lag and depth change without events,
// so they are asked again every few seconds.
import { useEffect, useState } from 'preact/hooks'
import type {
  LaneList,
  LaneView,
  Network,
  NetworkMember,
  NodeEvent,
  ReplicaList,
  ReplicaView,
} from '../api/index.ts'
import { agoSince } from './age.ts'
import { call } from './api.ts'
import type { Words } from './i18n.ts'
import { OfflineBanner, type ScreenProps } from './screen.tsx'
import { follow } from './live.ts'

/** How often the figures without events (round trip, lag, depth) are asked for again. */
const FIGURES_MS = 5000

type Props = ScreenProps

interface MapState {
  network: Network | null
  /** null: not known (the node did not give them, this time). */
  replicas: Map<string, ReplicaView> | null
  lanes: Map<string, LaneView> | null
}

export function NetworkMap({ words, onRefused }: Props) {
  const [state, setState] = useState<MapState>({
    network: null,
    replicas: new Map(),
    lanes: new Map(),
  })
  const [connected, setConnected] = useState(true)

  async function reload() {
    // The members, whatever becomes of the figures beside them: a figure not given is shown as
    // not known, never as none (a peer with messages waiting shown as 0 waiting).
    const [network, replicas, lanes] = await Promise.all([
      call<Network>('/members'),
      call<ReplicaList>('/replicas').then(
        ({ replicas }) => new Map(replicas.map((r) => [r.nodeId, r])),
        () => null
      ),
      call<LaneList>('/network/lanes').then(
        ({ lanes }) => new Map(lanes.map((l) => [l.peer, l])),
        () => null
      ),
    ])
    setState({ network, replicas, lanes })
  }

  useEffect(() => {
    const again = () => reload().catch(() => undefined)
    const timer = setInterval(again, FIGURES_MS)
    const stop = follow({
      types: ['member.changed', 'transfer.changed'],
      onRefused,
      onConnected(open) {
        setConnected(open)
        if (open) again()
      },
      onEvent(event: NodeEvent) {
        if (event.type === 'member.changed') {
          // The committed row at once; the live figures (round trip) with the next reload.
          const row = event.data as NetworkMember
          setState((before) => {
            if (!before.network) return before
            const members = before.network.members.map((m) =>
              m.id === row.id ? { ...m, ...row } : m
            )
            if (!members.some((m) => m.id === row.id))
              members.push({ ...row, self: false, lastHeardAt: null, rttMs: null, problem: null })
            return { ...before, network: { ...before.network, members } }
          })
        }
        again()
      },
    })
    return () => (clearInterval(timer), stop())
  }, [])

  const members = state.network?.members ?? []
  const self = members.find((m) => m.self)
  const peers = members.filter((m) => !m.self).sort((a, b) => a.name.localeCompare(b.name))
  return (
    <main>
      <OfflineBanner connected={connected} words={words} />
      <h2 id="map-title">
        {words.networkTitle} {connected && <span class="live-badge">● {words.live}</span>}
      </h2>
      {state.network && !state.network.participating && (
        <p class="problem">{words.notParticipating}</p>
      )}
      {state.network && !state.network.clusterKey && <p class="problem">{words.noClusterKey}</p>}
      {self && <Drawing self={self} peers={peers} words={words} />}
      <ul class="members" aria-labelledby="map-title">
        {self && <Card member={self} words={words} />}
        {peers.map((m) => (
          <Card
            key={m.id}
            member={m}
            replica={state.replicas?.get(m.id)}
            lane={state.lanes && (state.lanes.get(m.id) ?? 'none')}
            words={words}
          />
        ))}
      </ul>
      <p class="hint">{words.mapHint}</p>
    </main>
  )
}

/** This node in the middle, its peers around it, each line coloured by the peer's state. */
function Drawing(props: { self: NetworkMember; peers: NetworkMember[]; words: Words }) {
  const { self, peers, words } = props
  const radius = 120
  // One or two peers side by side (a short drawing on a phone); more around a circle from the top.
  const start = peers.length <= 2 ? 0 : -Math.PI / 2
  const spots = peers.map((_, i) => {
    const angle = start + (2 * Math.PI * i) / peers.length
    return { x: Math.round(radius * Math.cos(angle)), y: Math.round(radius * Math.sin(angle)) }
  })
  // The drawing's box: every spot, with room for a dot and its name below it.
  const xs = [0, ...spots.map((s) => s.x)]
  const ys = [0, ...spots.map((s) => s.y)]
  const [left, top] = [Math.min(...xs) - 70, Math.min(...ys) - 30]
  const [width, height] = [Math.max(...xs) + 70 - left, Math.max(...ys) + 50 - top]
  return (
    <svg
      class="map"
      viewBox={`${left} ${top} ${width} ${height}`}
      style={{ maxWidth: `${width * 1.4}px` }}
      role="img"
      aria-label={words.mapDrawing}
    >
      {peers.map((m, i) => (
        <line key={m.id} x1={0} y1={0} x2={spots[i].x} y2={spots[i].y} class={`link ${m.state}`} />
      ))}
      <Dot x={0} y={0} member={self} words={words} />
      {peers.map((m, i) => (
        <Dot key={m.id} {...spots[i]} member={m} words={words} />
      ))}
    </svg>
  )
}

function Dot({
  x,
  y,
  member,
  words,
}: {
  x: number
  y: number
  member: NetworkMember
  words: Words
}) {
  return (
    <g class={`dot ${member.state}`} data-map-member={member.name} data-state={member.state}>
      <circle cx={x} cy={y} r={member.self ? 22 : 17} />
      <text x={x} y={y + (member.self ? 38 : 32)} text-anchor="middle" class="name">
        {member.name}
      </text>
      <text x={x} y={y + 4} text-anchor="middle" class="state-mark">
        {member.self ? '★' : stateMark[member.state]}
      </text>
      <title>
        {member.name}: {words.memberStates[member.state]}
      </title>
    </g>
  )
}

/** A mark beside the colour, for whoever cannot tell the colours apart. */
const stateMark: Record<NetworkMember['state'], string> = {
  alive: '✓',
  suspect: '?',
  failed: '✕',
  left: '–',
}

function Card(props: {
  member: NetworkMember
  replica?: ReplicaView
  /** `none`: no message was ever sent it; null: not known; absent for this node itself. */
  lane?: LaneView | 'none' | null
  words: Words
}) {
  const { member: m, replica, lane, words } = props
  const heard = agoSince(m.lastHeardAt, words.locale)
  return (
    <li class={`member ${m.state}`} data-member={m.name} data-state={m.state}>
      <h3>
        {m.name} {m.self && <span class="muted">({words.here})</span>}
      </h3>
      <p class="member-state">
        <span class="mark" aria-hidden="true">
          {m.self ? '★' : stateMark[m.state]}
        </span>{' '}
        {[
          words.memberStates[m.state],
          // "failed now", not "failed since now", until ago() rounds it to a second.
          Date.now() - Date.parse(m.stateChangedAt) >= 500 && words.stateSince[m.state],
          agoSince(m.stateChangedAt, words.locale),
        ]
          .filter(Boolean)
          .join(' ')}
      </p>
      {!m.self && (
        <dl>
          <dt>{words.roundTrip}</dt>
          {/* A failed or departed member's last round trip is no figure of how it answers now. */}
          <dd data-testid="rtt">
            {m.rttMs === null || m.state === 'failed' || m.state === 'left'
              ? '—'
              : `${Math.round(m.rttMs)} ms`}
          </dd>
          <dt>{words.lastHeard}</dt>
          <dd>{heard ?? '—'}</dd>
          <dt>{words.replicaLag}</dt>
          <dd data-testid="replica">
            {replica ? (
              <>
                {words.replicaStates[replica.state]} · {replica.rowsBehind} {words.rowsBehind}
                {replica.asOf && ` · ${words.caughtUp} ${agoSince(replica.asOf, words.locale)}`}
              </>
            ) : (
              '—'
            )}
          </dd>
          <dt>{words.outboxDepth}</dt>
          <dd data-testid="outbox">
            {lane === null || lane === undefined
              ? '—'
              : lane === 'none'
                ? '0'
                : `${lane.pending}${lane.failures ? ` · ${lane.failures} ${words.failures}` : ''}`}
          </dd>
        </dl>
      )}
      {m.problem && m.state !== 'alive' && <p class="hint">{m.problem}</p>}
      <p class="address">{m.address}</p>
    </li>
  )
}
