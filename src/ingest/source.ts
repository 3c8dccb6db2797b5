/** How one webhook source (`POST /webhooks/:source`) authenticates and is limited. */
export interface SourceSettings {
  name: string;
  scheme: 'standard' | 'github' | 'tradingview';
  /**
   * One or more, so a key can be rotated without downtime (all are accepted).
   * standard: `whsec_…` base64 secrets; github: the raw secret string; tradingview: passphrases.
   */
  secrets: readonly string[];
  /** Remote addresses (exact IPs or CIDR ranges) allowed to call; empty or undefined = any. */
  allowlist?: readonly string[];
  maxBodyBytes: number;
  rateLimit: { burst: number; perSecond: number };
  /** Standard Webhooks timestamp tolerance, both ways; 300 by default. */
  toleranceSeconds: number;
}

/** The addresses TradingView sends alerts from (https://www.tradingview.com/support/solutions/43000529348). */
export const TRADINGVIEW_ADDRESSES: readonly string[] = ['52.89.214.238', '34.212.75.30', '54.218.53.128', '52.32.178.7'];

export const DEFAULT_TOLERANCE_SECONDS = 300;
