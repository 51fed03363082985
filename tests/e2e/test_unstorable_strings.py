"""Through the gateway, a string Postgres cannot store is the subgraph's BAD_USER_INPUT
naming where it was, not an internal error."""

from __future__ import annotations

from tests.support.graphql import GraphQLClient


async def test_nul_through_the_gateway_is_bad_user_input(platform: GraphQLClient) -> None:
    search = await platform.execute(
        "query($filter: ProductFilterInput) { products(filter: $filter) { totalCount } }",
        {"filter": {"search": "shoes\x00"}},
    )
    sign_in = await platform.execute(
        "mutation($email: String!, $password: String!) "
        "{ tokenCreate(email: $email, password: $password) { accessToken } }",
        {"email": "someone\x00@example.com", "password": "correct horse battery"},
    )
    for response, where in ((search, "`filter.search`"), (sign_in, "`email`")):
        assert response.status_code == 200
        assert response.error_codes == ["BAD_USER_INPUT"], response.errors
        assert where in response.errors[0]["message"]
