using Bazaar.Tests.Infrastructure;

namespace Bazaar.Tests.Hosting;

public sealed class ProblemDetailsTests(AppFactory app) : IClassFixture<AppFactory>
{
    [Fact]
    public async Task Malformed_json_is_a_400_problem()
    {
        var r = await app.AdminClient().PostRaw("/api/v1/admin/api-keys", "{\"name\": ");
        var body = await r.AssertProblem(400, "malformed_json");
        Assert.Contains("JSON", body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Json_of_the_wrong_shape_is_a_400_problem()
    {
        var r = await app.AdminClient().PostRaw("/api/v1/admin/api-keys", "[1,2,3]");
        await r.AssertProblem(400);
    }

    [Fact]
    public async Task Validation_failure_is_a_400_problem_with_errors()
    {
        var r = await app.AdminClient().PostJson("/api/v1/admin/api-keys", new { name = "" });
        var body = await r.AssertProblem(400);
        Assert.True(body.GetProperty("errors").TryGetProperty("name", out _));
    }

    [Fact]
    public async Task Unknown_api_route_is_a_404_problem()
    {
        var r = await app.CreateClient().GetAsync("/api/v1/no-such-thing");
        await r.AssertProblem(404);
    }

    [Fact]
    public async Task Missing_entity_is_a_404_problem_with_a_code()
    {
        var r = await app.AdminClient().GetAsync("/api/v1/admin/users/987654321");
        await r.AssertProblem(404, "user_not_found");
    }

    [Fact]
    public async Task Wrong_method_is_a_405_problem()
    {
        var r = await app.CreateClient().DeleteAsync("/health/live");
        await r.AssertProblem(405);
    }
}

public sealed class ProblemCodeTests(AppFactory app) : IClassFixture<AppFactory>
{
    [Fact]
    public async Task Every_framework_problem_carries_a_code_and_a_detail()
    {
        var notFound = await (await app.CreateClient().GetAsync("/api/v1/no-such-thing")).AssertProblem(404, "not_found");
        Assert.Contains("/api/v1/no-such-thing", notFound.GetProperty("detail").GetString());
        await (await app.CreateClient().DeleteAsync("/health/live")).AssertProblem(405, "method_not_allowed");
        var unauthorized = await (await app.CreateClient().GetAsync("/api/v1/admin/ledger/verify")).AssertProblem(401, "unauthorized");
        Assert.Contains("Bearer", unauthorized.GetProperty("detail").GetString());
        await (await app.AdminClient().PostRaw("/api/v1/admin/api-keys", "name=x", "text/plain")).AssertProblem(415, "unsupported_media_type");
        await (await app.AdminClient().PostJson("/api/v1/admin/api-keys", new { name = "" })).AssertProblem(400, "validation_failed");
    }

    [Fact]
    public async Task A_field_of_the_wrong_type_is_named_with_what_it_takes()
    {
        var r = await app.AdminClient().PostRaw("/api/v1/admin/wallets/1/adjust", "{\"amount\": \"ten\", \"reason\": \"x\"}");
        var body = await r.AssertProblem(400, "invalid_field_type");
        Assert.Contains("'amount' must be a number", body.GetProperty("detail").GetString());
        Assert.True(body.GetProperty("errors").TryGetProperty("amount", out _));
        Assert.DoesNotContain("ten", body.GetRawText());
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_413_before_it_is_read()
    {
        var big = "{\"name\": \"" + new string('a', 1024 * 1024 + 10) + "\"}";
        var r = await app.AdminClient().PostRaw("/api/v1/admin/api-keys", big);
        var body = await r.AssertProblem(413, "payload_too_large");
        Assert.Contains("1048576 bytes", body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_nested_field_of_the_wrong_type_is_named_too()
    {
        var r = await app.AdminClient().PostRaw("/api/v1/admin/wallets/1/adjust", "{\"amount\": 5, \"reason\": 7}");
        var body = await r.AssertProblem(400, "invalid_field_type");
        Assert.Contains("'reason' must be a string", body.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("System.Decimal", "a number")]
    [InlineData("System.Nullable`1[System.Int64]", "a whole number")]
    [InlineData("System.Boolean", "true or false")]
    [InlineData("System.DateTime", "a date and time (ISO 8601)")]
    public void Json_type_names_become_plain_words(string type, string words) =>
        Assert.Equal(words, Bazaar.Server.Hosting.ProblemExceptionHandler.WrongType($"The JSON value could not be converted to {type}. Path: $.x | LineNumber: 0"));
}
