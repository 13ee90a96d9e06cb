using System.Net;
using Bazaar.Server.Checks;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Wallet;
using MiniExcelLibs;

namespace Bazaar.Tests.Checks;

public sealed class ChecksApiTests(ChecksAppFactory app) : IClassFixture<ChecksAppFactory>
{
    [Fact]
    public async Task Integrators_queue_a_check_follow_it_and_download_the_report()
    {
        var tg = Updates.NewUserId();
        await app.Send(Updates.Text(tg, "/start"));
        var user = await app.UserOf(tg);
        using var client = app.AdminClient();
        await (await client.PostJson("/api/v1/checks", new { userId = user.Id, target = "bad name!" })).AssertProblem(400, "invalid_target");
        await (await client.PostJson("/api/v1/checks", new { userId = user.Id })).AssertProblem(400, "target_required");
        await (await client.PostJson("/api/v1/checks", new { userId = user.Id, target = "someone" })).AssertProblem(422, "live_source_off");
        await (await client.PostJson("/api/v1/checks", new { userId = user.Id, fileId = "x" })).AssertProblem(402, CheckQueue.NoCredits);
        await (await client.PostJson("/api/v1/checks", new { userId = 987654321L, fileId = "x" })).AssertProblem(404, "user_not_found");
        await (await client.GetAsync("/api/v1/checks/987654321")).AssertProblem(404, "check_not_found");
        using (var anonymous = app.CreateClient())
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/checks/1")).StatusCode);

        await app.Credits(c => c.GrantAsync(user.Id, 1, $"api:{user.Id}", "test", CancellationToken.None));
        var fileId = "api-" + Guid.NewGuid().ToString("N");
        app.Bot.AddFile(fileId, CheckTestData.SampleExport());
        var created = await client.PostJson("/api/v1/checks", new { userId = user.Id, target = "@My.Account", fileId });
        var body = await created.ReadJson();
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = body.GetProperty("id").GetInt64();
        Assert.Equal("QUEUED", body.GetProperty("status").GetString());
        Assert.Equal("my.account", body.GetProperty("target").GetString());
        Assert.True(body.GetProperty("position").GetInt32() >= 1);
        await (await client.GetAsync($"/api/v1/checks/{id}/report.xlsx")).AssertProblem(409, "check_not_completed");

        for (var i = 0; i < 3; i++)
        {
            app.Clock.Advance(TimeSpan.FromSeconds(5));
            await app.RunJobs();
        }
        var done = await (await client.GetAsync($"/api/v1/checks/{id}")).ReadJson();
        Assert.Equal("COMPLETED", done.GetProperty("status").GetString());
        Assert.Equal(1, done.GetProperty("summary").GetProperty("notFollowingBack").GetInt32());
        Assert.Equal(2, done.GetProperty("summary").GetProperty("mutual").GetInt32());

        var report = await client.GetAsync($"/api/v1/checks/{id}/report.xlsx");
        Assert.Equal(CheckReport.ContentType, report.Content.Headers.ContentType?.MediaType);
        using var ms = new MemoryStream(await report.Content.ReadAsByteArrayAsync());
        var rows = ms.Query(useHeaderRow: true, sheetName: "Not followed back").Cast<IDictionary<string, object?>>().ToList();
        Assert.Equal("carol", Assert.Single(rows)["Username"]);
        Assert.Equal("not_followed_back", rows[0]["Direction"]);
        await MoneyTestData.AssertLedgerOkAsync(app);
    }
}
