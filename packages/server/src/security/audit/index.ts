/** The audit log's public face: what the composition root wires in. */
export { AuditLog, type AuditSink, type AuditLogSettings } from './auditLog.js';
export { auditEvent, type AuditEvent, type AuditedCall } from './event.js';
export { AuditLogError, RotatingFileSink, stdoutSink, type RotatingFileOptions } from './sinks.js';
