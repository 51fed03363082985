"use client";

import Link from "next/link";
import { useActionState } from "react";
import { PriceBreakdown } from "@/components/cart/PriceBreakdown";
import { FormMessage, SubmitButton, TextField } from "@/components/forms/fields";
import { completeCheckout } from "./actions";
import { addressFields, type CheckoutState } from "./state";

export interface CheckoutLine {
  id: string;
  name: string;
  options: string;
  seller: string;
  quantity: number;
  price: string;
  warning?: string;
}

export function CheckoutForm(props: {
  lines: CheckoutLine[];
  subtotal: string;
  summaryError: string | null;
  initial: CheckoutState;
}) {
  const [state, action, pending] = useActionState(completeCheckout, props.initial);
  const summary = state.summary;
  return (
    <form action={action} className="grid gap-8 md:grid-cols-2">
      <input type="hidden" name="idempotencyKey" value={state.idempotencyKey} />
      {state.quoteToken ? <input type="hidden" name="quoteToken" value={state.quoteToken} /> : null}
      {summary?.parcels.map((parcel) =>
        parcel.chosen.methodId ? (
          <input key={parcel.seller.id} type="hidden" name={`ship:${parcel.seller.id}`} value={parcel.chosen.methodId} />
        ) : null,
      )}
      <fieldset className="flex flex-col gap-3">
        <legend className="mb-2 text-lg font-semibold">Shipping address</legend>
        {addressFields.map((field) => (
          <TextField
            key={field.name}
            label={field.label}
            name={field.name}
            required={field.required}
            autoComplete={field.autoComplete}
            defaultValue={state.values?.[field.name]}
            error={state.fields?.[field.name]}
          />
        ))}
      </fieldset>
      <div className="flex flex-col gap-3">
        <h2 className="text-lg font-semibold">Your order</h2>
        <FormMessage>{state.message}</FormMessage>
        {state.changes && state.changes.length > 0 ? (
          <ul role="alert" className="flex list-disc flex-col gap-1 pl-5 text-sm text-amber-900" data-testid="price-changes">
            {state.changes.map((change) => (
              <li key={change} data-testid="price-change">
                {change}
              </li>
            ))}
          </ul>
        ) : null}
        <ul className="flex flex-col gap-2">
          {props.lines.map((line) => (
            <li key={line.id} className="rounded border border-stone-200 bg-white p-3" data-testid="checkout-line">
              <p className="font-medium">
                {line.quantity} × {line.name}
              </p>
              <p className="text-sm text-stone-600">
                {line.options} · {line.seller} · {line.price}
              </p>
              {line.warning ? <p className="text-sm text-amber-700">{line.warning}</p> : null}
              {state.lineErrors?.[line.id] ? (
                <p className="text-sm font-medium text-red-700" role="alert" data-testid="line-error">
                  {state.lineErrors[line.id]}
                </p>
              ) : null}
            </li>
          ))}
        </ul>
        {summary ? (
          <>
            <PriceBreakdown pricing={summary} />
            <Link href="/cart" className="text-sm underline">
              Change shipping or vouchers
            </Link>
          </>
        ) : (
          <>
            {props.summaryError ? <FormMessage>{props.summaryError}</FormMessage> : null}
            <p>
              Subtotal: <strong>{props.subtotal}</strong> (shipping and tax are added to the order)
            </p>
          </>
        )}
        {pending ? (
          <p role="status" className="text-stone-600">
            Placing your order: reserving stock with each seller…
          </p>
        ) : null}
        <SubmitButton>{state.changes?.length ? "Confirm the new total and place order" : "Place order"}</SubmitButton>
      </div>
    </form>
  );
}
