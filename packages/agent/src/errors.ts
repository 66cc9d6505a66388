import { CofferError } from 'coffer';

/** The agent's configuration (file, environment, flags or options) is wrong; the message says what to change. */
export class AgentConfigError extends CofferError {
  override readonly name = 'AgentConfigError' as const;
  readonly code = 'AGENT_CONFIG' as const;
}
