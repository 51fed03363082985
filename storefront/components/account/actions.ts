"use server";

import { redirect } from "next/navigation";
import { fieldErrors, messageForRequestErrors } from "@/lib/shopgraph/errors";
import { shopgraph } from "@/lib/shopgraph/fetch";
import type { FormState } from "./form-state";
import {
  AccountRegisterMutation,
  PasswordResetMutation,
  RequestPasswordResetMutation,
  TokenCreateMutation,
} from "./operations";
import { startSession } from "./session-cookies";

function text(formData: FormData, name: string): string {
  const value = formData.get(name);
  return typeof value === "string" ? value.trim() : "";
}

/** Only paths on this site, so a crafted link cannot send a shopper elsewhere after sign-in. */
function safeNext(value: string): string {
  return value.startsWith("/") && !value.startsWith("//") ? value : "/";
}

async function signInWith(email: string, password: string): Promise<FormState | null> {
  const { data, errors } = await shopgraph(TokenCreateMutation, { email, password });
  const payload = data?.tokenCreate;
  if (!payload) return { message: messageForRequestErrors(errors), values: { email } };
  if (payload.errors.length > 0) {
    const { fields, form } = fieldErrors(payload.errors);
    return { message: form[0] ?? Object.values(fields)[0], fields, values: { email } };
  }
  await startSession(payload);
  return null;
}

export async function signIn(_previous: FormState, formData: FormData): Promise<FormState> {
  const email = text(formData, "email");
  const failure = await signInWith(email, String(formData.get("password") ?? ""));
  if (failure) return failure;
  redirect(safeNext(text(formData, "next")));
}

export async function register(_previous: FormState, formData: FormData): Promise<FormState> {
  const input = {
    email: text(formData, "email"),
    name: text(formData, "name"),
    password: String(formData.get("password") ?? ""),
  };
  const values = { email: input.email, name: input.name };
  const { data, errors } = await shopgraph(AccountRegisterMutation, { input });
  const payload = data?.accountRegister;
  if (!payload) return { message: messageForRequestErrors(errors), values };
  if (payload.errors.length > 0) {
    const { fields, form } = fieldErrors(payload.errors);
    return { message: form[0], fields, values };
  }
  const failure = await signInWith(input.email, input.password);
  if (failure) return { ...failure, values };
  redirect(safeNext(text(formData, "next")));
}

export async function requestPasswordReset(_previous: FormState, formData: FormData): Promise<FormState> {
  const email = text(formData, "email");
  const { data, errors } = await shopgraph(RequestPasswordResetMutation, { email });
  const payload = data?.requestPasswordReset;
  if (!payload) return { message: messageForRequestErrors(errors), values: { email } };
  if (payload.errors.length > 0) {
    const { fields, form } = fieldErrors(payload.errors);
    return { message: form[0], fields, values: { email } };
  }
  return { notice: "If an account uses this address, a link to choose a new password is on its way." };
}

export async function resetPassword(_previous: FormState, formData: FormData): Promise<FormState> {
  const token = text(formData, "token");
  const { data, errors } = await shopgraph(PasswordResetMutation, {
    token,
    password: String(formData.get("password") ?? ""),
  });
  const payload = data?.passwordReset;
  if (!payload) return { message: messageForRequestErrors(errors) };
  if (payload.errors.length > 0) {
    const { fields, form } = fieldErrors(payload.errors);
    return { message: form[0] ?? fields.token, fields };
  }
  redirect("/sign-in?reset=1");
}
