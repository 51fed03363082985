import { graphql } from "@/lib/shopgraph/gql";

export const TokenCreateMutation = graphql(`
  mutation TokenCreate($email: String!, $password: String!) {
    tokenCreate(email: $email, password: $password) {
      accessToken
      accessTokenExpiresAt
      refreshToken
      errors {
        field
        code
        message
      }
    }
  }
`);

export const TokenRefreshMutation = graphql(`
  mutation TokenRefresh($refreshToken: String!) {
    tokenRefresh(refreshToken: $refreshToken) {
      accessToken
      accessTokenExpiresAt
      refreshToken
      errors {
        field
        code
        message
      }
    }
  }
`);

export const TokenRevokeMutation = graphql(`
  mutation TokenRevoke($refreshToken: String!) {
    tokenRevoke(refreshToken: $refreshToken) {
      revoked
      errors {
        code
        message
      }
    }
  }
`);

export const AccountRegisterMutation = graphql(`
  mutation AccountRegister($input: AccountRegisterInput!) {
    accountRegister(input: $input) {
      user {
        id
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const RequestPasswordResetMutation = graphql(`
  mutation RequestPasswordReset($email: String!) {
    requestPasswordReset(email: $email) {
      errors {
        field
        code
        message
      }
    }
  }
`);

export const PasswordResetMutation = graphql(`
  mutation PasswordReset($token: String!, $password: String!) {
    passwordReset(token: $token, password: $password) {
      user {
        id
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const AccountConfirmMutation = graphql(`
  mutation AccountConfirm($token: String!) {
    accountConfirm(token: $token) {
      user {
        id
      }
      errors {
        field
        code
        message
      }
    }
  }
`);
