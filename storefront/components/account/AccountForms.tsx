"use client";

import Link from "next/link";
import { useActionState } from "react";
import { FormMessage, SubmitButton, TextField } from "@/components/forms/fields";
import { register, requestPasswordReset, resetPassword, signIn } from "./actions";
import { emptyForm } from "./form-state";

export function SignInForm({ next }: { next: string }) {
  const [state, action] = useActionState(signIn, emptyForm);
  return (
    <form action={action} className="flex max-w-sm flex-col gap-4">
      <FormMessage>{state.message}</FormMessage>
      <input type="hidden" name="next" value={next} />
      <TextField label="Email" name="email" type="email" autoComplete="email" required defaultValue={state.values?.email} error={state.fields?.email} />
      <TextField label="Password" name="password" type="password" autoComplete="current-password" required error={state.fields?.password} />
      <SubmitButton>Sign in</SubmitButton>
      <p className="text-sm">
        <Link href="/account/reset-password" className="underline">
          Forgot your password?
        </Link>{" "}
        · New here?{" "}
        <Link href={`/register?next=${encodeURIComponent(next)}`} className="underline">
          Create an account
        </Link>
      </p>
    </form>
  );
}

export function RegisterForm({ next }: { next: string }) {
  const [state, action] = useActionState(register, emptyForm);
  return (
    <form action={action} className="flex max-w-sm flex-col gap-4">
      <FormMessage>{state.message}</FormMessage>
      <input type="hidden" name="next" value={next} />
      <TextField label="Name" name="name" autoComplete="name" required defaultValue={state.values?.name} error={state.fields?.name} />
      <TextField label="Email" name="email" type="email" autoComplete="email" required defaultValue={state.values?.email} error={state.fields?.email} />
      <TextField label="Password (at least 10 characters)" name="password" type="password" autoComplete="new-password" required error={state.fields?.password} />
      <SubmitButton>Create account</SubmitButton>
    </form>
  );
}

export function RequestResetForm() {
  const [state, action] = useActionState(requestPasswordReset, emptyForm);
  return (
    <form action={action} className="flex max-w-sm flex-col gap-4">
      <FormMessage>{state.message}</FormMessage>
      <FormMessage tone="notice">{state.notice}</FormMessage>
      <TextField label="Email" name="email" type="email" autoComplete="email" required defaultValue={state.values?.email} error={state.fields?.email} />
      <SubmitButton>Send me a link</SubmitButton>
    </form>
  );
}

export function NewPasswordForm({ token }: { token: string }) {
  const [state, action] = useActionState(resetPassword, emptyForm);
  return (
    <form action={action} className="flex max-w-sm flex-col gap-4">
      <FormMessage>{state.message}</FormMessage>
      <input type="hidden" name="token" value={token} />
      <TextField label="New password (at least 10 characters)" name="password" type="password" autoComplete="new-password" required error={state.fields?.password} />
      <SubmitButton>Set new password</SubmitButton>
    </form>
  );
}
