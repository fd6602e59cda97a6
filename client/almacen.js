#!/usr/bin/env node
// The `almacen` command (package.json "bin"). The client is TypeScript, so register tsx first,
// as knexfile.js does; then main.ts reads the command line.
import { register } from 'tsx/esm/api'

register()
await import('./main.ts')
