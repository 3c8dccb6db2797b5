/** The paper venue: the Venue port over a synthetic book priced from the MarketData port. */
export { createPaperVenue, PaperVenue } from './venue.ts';
export type { PaperEvent, PaperFaults, PaperFillEvent, PaperFundingEvent, PaperLiquidationEvent, PaperLiquidationRequest, PaperMarket, PaperVenueDeps } from './venue.ts';
export { DEFAULT_PAPER_INSTRUMENTS, paperVenueSettingsSchema, parsePaperVenueSettings } from './settings.ts';
export type { PaperVenueSettings, PaperVenueSettingsInput } from './settings.ts';
export type { PaperAccountTotals } from './account.ts';
