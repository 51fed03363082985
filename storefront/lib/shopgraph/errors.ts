// What the shopper reads when the platform says no: payload error codes of every domain
// and the top-level codes of the gateway, in words a person understands.

export interface GraphQLErrorInfo {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string; [key: string]: unknown };
}

export interface PayloadError {
  field?: string | null;
  code: string;
  message: string;
}

const payloadMessages: Record<string, string> = {
  REQUIRED: "Please fill in this field.",
  INVALID: "This value is not valid.",
  TOO_LONG: "This is too long.",
  NOT_FOUND: "We could not find that any more.",
  INVALID_EMAIL: "Please enter a valid email address.",
  DUPLICATE_EMAIL: "An account with this email already exists. Try signing in.",
  PASSWORD_TOO_WEAK: "Choose a longer password: at least 10 characters, and not your email address.",
  INVALID_CREDENTIALS: "The email or password is not right.",
  INCORRECT_PASSWORD: "The current password is not right.",
  ACCOUNT_INACTIVE: "This account is not active.",
  INVALID_TOKEN: "This link is not valid. Ask for a new one.",
  EXPIRED_TOKEN: "This link has expired. Ask for a new one.",
  TOKEN_REUSED: "This link was already used. Ask for a new one.",
  TOO_MANY_ATTEMPTS: "Too many attempts. Please wait a minute and try again.",
  INVALID_COUNTRY: "Use a two-letter country code, such as GB or US.",
  INVALID_QUANTITY: "Choose a quantity from 1 to 999.",
  TOO_MANY_LINES: "Your cart is full. Remove something first.",
  CURRENCY_MISMATCH: "Everything in one cart must be priced in the same currency.",
  CART_CLOSED: "This cart was already checked out.",
  NOT_A_GUEST_CART: "That cart already belongs to an account.",
  EMPTY_CART: "Your cart is empty.",
  CHECKOUT_IN_PROGRESS: "This cart is being checked out already.",
  INVALID_ADDRESS: "Please check the shipping address.",
  INSUFFICIENT_STOCK: "Not enough in stock.",
  PRICE_CHANGED: "The price changed since you added it.",
  VARIANT_UNAVAILABLE: "This item is no longer sold.",
  ALREADY_REVIEWED: "You have already reviewed this product.",
  CANNOT_REVIEW: "You can review a product once an order of it has been delivered.",
  INVALID_RATING: "Choose from 1 to 5 stars.",
  ILLEGAL_STATE: "This payment cannot be changed any more.",
  ILLEGAL_TRANSITION: "This order cannot be changed any more.",
  NOT_LOCAL: "This payment is taken by the card form below.",
  NOT_AVAILABLE: "This is not available here.",
  PROVIDER_ERROR: "The payment provider did not answer. Please try again.",
};

const requestMessages: Record<string, string> = {
  UNAUTHENTICATED: "Please sign in to continue.",
  FORBIDDEN: "You are not allowed to do that.",
  RATE_LIMITED: "Too many requests. Please wait a moment and try again.",
  PERSISTED_QUERY_NOT_FOUND: "The shop was updated. Please reload the page.",
  OPERATION_NOT_IN_MANIFEST: "The shop was updated. Please reload the page.",
  SUBGRAPH_ERROR: "Part of the shop is not answering right now.",
  DOWNSTREAM_SERVICE_ERROR: "Part of the shop is not answering right now.",
};

export const fallbackMessage = "Something went wrong on our side. Please try again.";

/** The message to show for a payload error: ours for a known code, else the platform's. */
export function messageForPayloadError(error: PayloadError): string {
  return payloadMessages[error.code] ?? (error.message || fallbackMessage);
}

export function messageForRequestErrors(errors: ReadonlyArray<GraphQLErrorInfo>): string {
  for (const error of errors) {
    const code = error.extensions?.code;
    if (code && requestMessages[code]) return requestMessages[code];
  }
  return fallbackMessage;
}

/** Errors keyed by input field (the first per field), and those about the input as a whole. */
export function fieldErrors(errors: ReadonlyArray<PayloadError>): {
  fields: Record<string, string>;
  form: string[];
} {
  const fields: Record<string, string> = {};
  const form: string[] = [];
  for (const error of errors) {
    const field = error.field ? error.field.split(".").pop() ?? error.field : null;
    const message = messageForPayloadError(error);
    if (field) fields[field] ??= message;
    else form.push(message);
  }
  return { fields, form };
}

/** Whether a response's errors only concern some fields: render what answered. */
export function isPartial(data: unknown, errors: ReadonlyArray<GraphQLErrorInfo>): boolean {
  return data !== null && data !== undefined && errors.length > 0;
}
