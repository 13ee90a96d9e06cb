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
