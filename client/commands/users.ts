import { ROLE_NAMES, userName, type TokenView, type UserView } from '../../api/index.ts'
import { positionals, type Command } from '../command.ts'
import { UsageError } from '../errors.ts'
import { printJson, type Io } from '../io.ts'
import { table } from '../table.ts'

const role = (text: string | undefined) => {
  if (!ROLE_NAMES.includes(text as never)) {
    throw new UsageError(`ROLE must be one of ${ROLE_NAMES.join(', ')}, not "${text ?? ''}"`)
  }
  return text as UserView['role']
}

const name = (text: string | undefined) => {
  const checked = userName.safeParse(text ?? '')
  if (!checked.success) throw new UsageError(`NAME ${checked.error.issues[0].message}`)
  return checked.data
}

const when = (at: string | null) => (at ? at.slice(0, 16).replace('T', ' ') : '')

function showUsers(io: Io, users: UserView[]) {
  io.print(
    table(
      users,
      [
        { header: 'USER', value: (u) => u.name },
        { header: 'ROLE', value: (u) => u.role },
        { header: 'SINCE', value: (u) => when(u.createdAt) },
        { header: 'DISABLED', value: (u) => when(u.disabledAt) },
      ],
      io.columns
    )
  )
}

function showUser(io: Io, user: UserView) {
  if (io.json) return printJson(io, user)
  showUsers(io, [user])
}

export const users: Command = {
  name: 'users',
  summary: "this node's users and their roles (admin)",
  synopsis: '[add NAME ROLE | set NAME ROLE | disable NAME | enable NAME]',
  description: `Without arguments, lists this node's users and their roles (${ROLE_NAMES.join(', ')}). add makes a user (who can do nothing until an admin makes them a token with almacen tokens create); set changes a user's role; disable stops every token of a user at once, enable lets them in again. The last admin can be neither demoted nor disabled. Needs an admin's token.`,
  examples: [
    'almacen users',
    'almacen users add ana operator',
    'almacen users set ana viewer',
    'almacen users disable ana',
  ],
  async run(io, args) {
    const [what, who, asRole] = positionals(args, [], ['what', 'NAME', 'ROLE'])
    if (what === undefined) {
      const { users: all } = await io.api.get<{ users: UserView[] }>('/users')
      return io.json ? printJson(io, all) : showUsers(io, all)
    }
    if (what === 'add') {
      return showUser(
        io,
        await io.api.post<UserView>('/users', { name: name(who), role: role(asRole) })
      )
    }
    if (asRole !== undefined && what !== 'set')
      throw new UsageError(`unexpected argument "${asRole}"`)
    const change =
      what === 'set'
        ? { role: role(asRole) }
        : what === 'disable' || what === 'enable'
          ? { disabled: what === 'disable' }
          : undefined
    if (!change)
      throw new UsageError(`there is no "users ${what}": use add, set, disable or enable`)
    showUser(io, await io.api.patch<UserView>(`/users/${name(who)}`, change))
  },
}

function showTokens(io: Io, tokens: TokenView[]) {
  io.print(
    table(
      tokens,
      [
        { header: 'ID', value: (k) => k.id },
        { header: 'USER', value: (k) => k.user },
        { header: 'NAME', value: (k) => k.name, shrink: true },
        { header: 'MADE', value: (k) => when(k.createdAt) },
        { header: 'EXPIRES', value: (k) => when(k.expiresAt) },
        { header: 'REVOKED', value: (k) => when(k.revokedAt) },
      ],
      io.columns
    )
  )
}

export const tokens: Command = {
  name: 'tokens',
  summary: 'API tokens: list, create, revoke (admin)',
  synopsis: '[create USER NAME [--expires TIME] | revoke ID] [--user USER]',
  description:
    'Without arguments, lists the tokens this node issued (--user: of one user), revoked ones too; never their secrets. create makes a token for USER, NAME saying what it is for ("scanner 3"), and prints it: the only time it is shown (the node keeps only its hash). revoke stops a token for good; the next request carrying it is refused. Tokens are per node: each warehouse issues its own. Needs an admin\'s token.',
  options: {
    expires: {
      type: 'string',
      arg: 'TIME',
      help: 'when it stops working (ISO 8601, e.g. 2027-06-30T00:00:00Z)',
    },
    user: { type: 'string', arg: 'USER', help: "list only this user's tokens" },
  },
  examples: [
    'almacen tokens',
    'almacen tokens create ana "scanner 3" --expires 2027-06-30T00:00:00Z',
    'almacen tokens revoke tok_3f9a0c21b7d4',
  ],
  async run(io, args) {
    const [what, first, second] = positionals(args, [], ['what', 'USER or ID', 'NAME'])
    if (what === undefined) {
      const user = args.values.user as string | undefined
      const { tokens: all } = await io.api.get<{ tokens: TokenView[] }>('/tokens', { user })
      return io.json ? printJson(io, all) : showTokens(io, all)
    }
    if (what === 'create') {
      if (second === undefined) throw new UsageError('missing NAME: what the token is for')
      const body = { user: name(first), name: second, expiresAt: args.values.expires }
      // No Idempotency-Key: the node refuses one here (a replay could not show the token again).
      // Nor sent twice: a second token would be made, and never shown.
      const made = await io.api.postOnce<TokenView & { token: string }>(
        '/tokens',
        body,
        `look for it with "almacen tokens --user ${body.user}", and revoke it if it is there`
      )
      if (io.json) return printJson(io, made)
      io.print(made.token)
      io.note(
        `Token ${made.id} for ${made.user} (${made.name}): keep it now, it is not shown again.`
      )
      return
    }
    if (what === 'revoke') {
      if (first === undefined) throw new UsageError('missing ID: the token to revoke (tok_…)')
      if (second !== undefined) throw new UsageError(`unexpected argument "${second}"`)
      const revoked = await io.api.post<TokenView>(
        `/tokens/${encodeURIComponent(first)}/revoke`,
        undefined
      )
      if (io.json) return printJson(io, revoked)
      io.print(`Revoked ${revoked.id} (${revoked.user}, ${revoked.name}).`)
      return
    }
    throw new UsageError(`there is no "tokens ${what}": use create or revoke`)
  },
}
