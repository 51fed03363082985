"use client";

import { useActionState } from "react";
import { applyVoucher } from "./actions";
import type { VoucherState } from "./voucher-state";

export function VoucherForm() {
  const [state, action, pending] = useActionState(applyVoucher, {} as VoucherState);
  return (
    <form action={action} className="flex flex-col gap-2">
      <label htmlFor="voucher-code" className="text-sm font-medium">
        Voucher code
      </label>
      <div className="flex gap-2">
        <input
          id="voucher-code"
          name="code"
          required
          maxLength={32}
          autoComplete="off"
          defaultValue={state.code}
          key={state.code ?? ""}
          aria-invalid={state.message ? true : undefined}
          aria-describedby={state.message ? "voucher-error" : undefined}
          className="w-48 rounded border border-stone-300 px-3 py-1 uppercase"
        />
        <button type="submit" disabled={pending} className="rounded border border-stone-400 px-3 py-1 text-sm">
          Apply code
        </button>
      </div>
      {state.message ? (
        <p id="voucher-error" role="alert" className="text-sm text-red-700" data-testid="voucher-error">
          {state.message}
        </p>
      ) : null}
    </form>
  );
}
