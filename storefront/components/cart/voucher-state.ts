export interface VoucherState {
  /** The code as typed, kept in the field after a refusal. */
  code?: string;
  /** Why the platform refused it, in its words (they name the voucher and the cause). */
  message?: string;
}
