// The compat suites capture mail over real SMTP with the server package's test helper.
export { type SmtpCapture, startSmtpCapture } from '../../packages/server/src/testing/smtp-capture.js';
