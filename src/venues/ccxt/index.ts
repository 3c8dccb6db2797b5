/** Real exchanges through ccxt: the Venue adapter, its settings and the exchange profiles. */
export { CcxtVenue, createCcxtVenue, type CcxtVenueDeps } from './venue.ts';
export {
  ccxtVenueSettingsSchema,
  credentialEnvNames,
  credentialsFromEnv,
  parseCcxtVenueSettings,
  type CcxtCredentials,
  type CcxtVenueSettings,
  type CcxtVenueSettingsInput,
} from './settings.ts';
export { genericProfile, hedgePositionSide, type ErrorRule, type ExchangeProfile, type PositionMode } from './profile.ts';
export { profileFor } from './exchanges/index.ts';
