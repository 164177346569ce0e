/** The audit log's public face: what the composition root wires in. */
export { AuditLog, type AuditSink, type AuditLogSettings } from './auditLog.js';
export { auditEvent, callStart, type AuditEvent, type AuditedCall, type CallStart } from './event.js';
export { AuditLogError, RotatingFileSink, stdoutSink, type RotatingFileOptions } from './sinks.js';
