using System.Net.Http.Headers;
using Bazaar.Tests.Infrastructure;

namespace Bazaar.Tests.Admin;

public sealed class ApiKeyAuthTests(AppFactory app) : IClassFixture<AppFactory>
{
    [Fact]
    public async Task Missing_key_is_a_401_problem()
    {
        var r = await app.CreateClient().GetAsync("/api/v1/admin/api-keys");
        await r.AssertProblem(401);
    }

    [Theory]
    [InlineData("Bearer wrong-key")]
    [InlineData("Bearer test-api-key-012345678")]
    [InlineData("Bearer bzk_0123456789abcdef_nope")]
    [InlineData("Basic b3duZXI6cGFzcw==")]
    public async Task Wrong_key_is_a_401_problem(string header)
    {
        var c = app.CreateClient();
        c.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", header);
        var r = await c.GetAsync("/api/v1/admin/api-keys");
        await r.AssertProblem(401);
    }

    [Fact]
    public async Task Bootstrap_key_is_accepted()
    {
        var r = await app.AdminClient().GetAsync("/api/v1/admin/users");
        Assert.Equal(200, (int)r.StatusCode);
    }

    [Fact]
    public async Task Created_key_works_is_stored_hashed_and_stops_working_when_revoked()
    {
        var created = await app.AdminClient().PostJson("/api/v1/admin/api-keys", new { name = "integration" });
        Assert.Equal(201, (int)created.StatusCode);
        var body = await created.ReadJson();
        var key = body.GetProperty("key").GetString()!;
        var id = body.GetProperty("id").GetInt64();

        var stored = await app.WithDb(db => Task.FromResult(db.ApiKeys.Single(k => k.Id == id)));
        Assert.DoesNotContain(stored.SecretHash, key);
        Assert.DoesNotContain(key[("bzk_".Length + 17)..], stored.SecretHash); // the secret after bzk_<16 hex>_

        var c = app.CreateClient();
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        Assert.Equal(200, (int)(await c.GetAsync("/api/v1/admin/api-keys")).StatusCode);

        // The same key id with another secret is refused.
        var forged = c;
        var bad = app.CreateClient();
        bad.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key[..^2] + "xx");
        await (await bad.GetAsync("/api/v1/admin/api-keys")).AssertProblem(401);

        Assert.Equal(204, (int)(await app.AdminClient().DeleteAsync($"/api/v1/admin/api-keys/{id}")).StatusCode);
        await (await forged.GetAsync("/api/v1/admin/api-keys")).AssertProblem(401);
        await (await app.AdminClient().DeleteAsync($"/api/v1/admin/api-keys/{id}")).AssertProblem(404, "api_key_not_found");
    }
}
