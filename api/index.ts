// The REST surface, shared by the handlers, the text client and (later) the web client and the
// OpenAPI document: zod schemas for what is sent, types for what comes back, the error codes.
// Only zod is imported here: this folder must load in a browser too.
export * from './errors.ts'
export * from './events.ts'
export * from './fields.ts'
export * from './items.ts'
export * from './ledger.ts'
export * from './members.ts'
export * from './movements.ts'
export * from './network-stock.ts'
export * from './node.ts'
export * from './replicas.ts'
export * from './stock.ts'
