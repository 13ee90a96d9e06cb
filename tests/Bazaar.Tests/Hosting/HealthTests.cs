using Bazaar.Tests.Infrastructure;

namespace Bazaar.Tests.Hosting;

public sealed class HealthTests(AppFactory app) : IClassFixture<AppFactory>
{
    [Fact]
    public async Task Live_answers_200()
    {
        var r = await app.CreateClient().GetAsync("/health/live");
        Assert.Equal(200, (int)r.StatusCode);
        Assert.Equal("live", (await r.ReadJson()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Ready_reports_the_database_and_no_pending_migrations()
    {
        var r = await app.CreateClient().GetAsync("/health/ready");
        Assert.Equal(200, (int)r.StatusCode);
        var body = await r.ReadJson();
        Assert.Equal("ready", body.GetProperty("status").GetString());
        Assert.Equal(TestDatabase.ProviderName, body.GetProperty("database").GetString());
        Assert.Equal(0, body.GetProperty("pendingMigrations").GetInt32());
        Assert.True(body.GetProperty("reachable").GetBoolean());
    }

    [Fact]
    public async Task OpenApi_document_is_valid_json_and_lists_the_api()
    {
        var r = await app.CreateClient().GetAsync("/openapi/v1.json");
        Assert.Equal(200, (int)r.StatusCode);
        var doc = await r.ReadJson();
        Assert.StartsWith("3.", doc.GetProperty("openapi").GetString());
        var paths = doc.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/health/ready", out _));
        Assert.True(paths.TryGetProperty("/api/v1/admin/api-keys", out var keys));
        Assert.True(keys.GetProperty("get").TryGetProperty("security", out _), "admin endpoints declare the API key");
        Assert.Equal("bearer", doc.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey").GetProperty("scheme").GetString());
    }

    [Fact]
    public async Task OpenApi_declares_each_operations_problem_responses()
    {
        var doc = await (await app.CreateClient().GetAsync("/openapi/v1.json")).ReadJson();
        Assert.Equal("object", doc.GetProperty("components").GetProperty("schemas").GetProperty("ProblemDetails").GetProperty("type").GetString());
        var adjust = doc.GetProperty("paths").GetProperty("/api/v1/admin/wallets/{userId}/adjust").GetProperty("post").GetProperty("responses");
        foreach (var status in new[] { "400", "401", "403", "404", "409", "422", "413" })
        {
            var schema = adjust.GetProperty(status).GetProperty("content").GetProperty("application/problem+json").GetProperty("schema");
            Assert.Equal("#/components/schemas/ProblemDetails", schema.GetProperty("$ref").GetString());
        }
        Assert.True(adjust.TryGetProperty("200", out _));
        var list = doc.GetProperty("paths").GetProperty("/api/v1/admin/api-keys").GetProperty("get").GetProperty("responses");
        Assert.True(list.TryGetProperty("401", out _));
        Assert.False(list.TryGetProperty("404", out _)); // no id in the path
        Assert.False(list.TryGetProperty("409", out _));
    }

    [Fact]
    public async Task Api_docs_page_is_served()
    {
        var r = await app.CreateClient().GetAsync("/api-docs");
        Assert.Equal(200, (int)r.StatusCode);
        Assert.Contains("text/html", r.Content.Headers.ContentType?.MediaType);
    }
}
