/**
 * Binance USDⓈ-M futures error answers, with the HTTP status, code and message the real
 * API sends (developers.binance.com/docs/derivatives/usds-margined-futures/error-code).
 * Only the ones the fake can produce are listed.
 */
export interface BinanceFailure {
  status: number;
  code: number;
  msg: string;
}

const fail = (status: number, code: number, msg: string): BinanceFailure => ({ status, code, msg });

export const BINANCE_ERRORS = {
  unknown: () => fail(500, -1000, 'An unknown error occured while processing the request.'),
  tooManyRequests: () =>
    fail(429, -1003, 'Too many requests; current limit is 2400 requests per minute. Please use the websocket for live updates to avoid polling the API.'),
  ipBanned: (until: number) => fail(418, -1003, `Way too many requests; IP banned until ${until}. Please use the websocket for live updates to avoid bans.`),
  timestampOutsideRecvWindow: () => fail(400, -1021, 'Timestamp for this request is outside of the recvWindow.'),
  timestampAhead: () => fail(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time."),
  invalidSignature: () => fail(400, -1022, 'Signature for this request is not valid.'),
  mandatoryParam: (name: string) => fail(400, -1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`),
  notRequired: (name: string) => fail(400, -1106, `Parameter '${name}' sent when not required.`),
  precision: () => fail(400, -1111, 'Precision is over the maximum defined for this asset.'),
  invalidOrderType: () => fail(400, -1116, 'Invalid orderType.'),
  invalidSide: () => fail(400, -1117, 'Invalid side.'),
  invalidSymbol: () => fail(400, -1121, 'Invalid symbol.'),
  badParam: (name: string) => fail(400, -1130, `Data sent for parameter '${name}' is not valid.`),
  recvWindowTooLarge: () => fail(400, -1131, 'recvWindow must be less than 60000'),
  unknownOrder: () => fail(400, -2011, 'Unknown order sent.'),
  orderDoesNotExist: () => fail(400, -2013, 'Order does not exist.'),
  apiKeyMissing: () => fail(401, -2014, 'API-key format invalid.'),
  invalidApiKey: () => fail(401, -2015, 'Invalid API-key, IP, or permissions for action.'),
  marginInsufficient: () => fail(400, -2019, 'Margin is insufficient.'),
  reduceOnlyRejected: () => fail(400, -2022, 'ReduceOnly Order is rejected.'),
  quantityNotPositive: () => fail(400, -4003, 'Quantity less than or equal to zero.'),
  quantityTooLarge: () => fail(400, -4005, 'Quantity greater than max quantity.'),
  priceNotOnTick: () => fail(400, -4014, 'Price not increased by tick size.'),
  clientOrderIdInvalid: () => fail(400, -4015, 'Client order id is not valid.'),
  leverageInvalid: (leverage: string) => fail(400, -4028, `Leverage ${leverage} is not valid`),
  marginTypeUnchanged: () => fail(400, -4046, 'No need to change margin type.'),
  marginTypeWithPosition: () => fail(400, -4048, 'Margin type cannot be changed if there exists position.'),
  positionSideUnchanged: () => fail(400, -4059, 'No need to change position side.'),
  positionSideMismatch: () => fail(400, -4061, "Order's position side does not match user's setting."),
  positionSideWithOrders: () => fail(400, -4067, 'Position side cannot be changed if there exists open orders.'),
  positionSideWithPosition: () => fail(400, -4068, 'Position side cannot be changed if there exists position.'),
  clientOrderIdDuplicated: () => fail(400, -4116, 'ClientOrderId is duplicated.'),
  notionalTooSmall: (min: string) => fail(400, -4164, `Order's notional must be no smaller than ${min} (unless you choose reduce only).`),
} as const;

/** A 503 whose execution status is UNKNOWN (the order may have been placed). */
export const UNKNOWN_EXECUTION_503: BinanceFailure = fail(503, -1000, 'Unknown error, please check your request or try again later.');
/** A 503 that Binance documents as a certain failure: nothing was executed. */
export const INTERNAL_ERROR_503: BinanceFailure = fail(503, -1001, 'Internal error; unable to process your request. Please try again.');

/** Thrown inside the fake's handlers; the server turns it into the JSON answer. */
export class BinanceReject extends Error {
  readonly failure: BinanceFailure;
  constructor(failure: BinanceFailure) {
    super(failure.msg);
    this.failure = failure;
  }
}

export function reject(failure: BinanceFailure): never {
  throw new BinanceReject(failure);
}
