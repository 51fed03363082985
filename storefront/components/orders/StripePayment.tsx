"use client";

import { Elements, PaymentElement, useElements, useStripe } from "@stripe/react-stripe-js";
import { loadStripe, type Stripe } from "@stripe/stripe-js";
import { type FormEvent, useState } from "react";

let stripePromise: Promise<Stripe | null> | null = null;

function ConfirmPayment({ returnUrl }: { returnUrl: string }) {
  const stripe = useStripe();
  const elements = useElements();
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!stripe || !elements) return;
    setBusy(true);
    const { error } = await stripe.confirmPayment({ elements, confirmParams: { return_url: returnUrl } });
    setMessage(error.message ?? "The payment did not go through.");
    setBusy(false);
  }

  return (
    <form onSubmit={submit} className="flex flex-col gap-3">
      <PaymentElement />
      {message ? <p role="alert" className="text-red-700">{message}</p> : null}
      <button type="submit" disabled={!stripe || busy} className="rounded bg-stone-900 px-4 py-2 text-white disabled:opacity-50">
        Pay now
      </button>
    </form>
  );
}

export function StripePayment(props: { publishableKey: string; clientSecret: string; returnUrl: string }) {
  stripePromise ??= loadStripe(props.publishableKey);
  return (
    <Elements stripe={stripePromise} options={{ clientSecret: props.clientSecret }}>
      <ConfirmPayment returnUrl={props.returnUrl} />
    </Elements>
  );
}
