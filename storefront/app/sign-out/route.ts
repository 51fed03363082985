import { cookies } from "next/headers";
import { NextResponse } from "next/server";
import { TokenRevokeMutation } from "@/components/account/operations";
import { endSession } from "@/components/account/session-cookies";
import { shopgraph } from "@/lib/shopgraph/fetch";
import { ACCESS_COOKIE } from "@/lib/shopgraph/session";

export async function POST(request: Request) {
  const accessToken = (await cookies()).get(ACCESS_COOKIE)?.value ?? null;
  const refreshToken = await endSession();
  if (refreshToken) await shopgraph(TokenRevokeMutation, { refreshToken }, { token: accessToken });
  return NextResponse.redirect(new URL("/", request.url), 303);
}
