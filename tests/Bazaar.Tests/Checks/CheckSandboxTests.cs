using System.Text.Json;
using System.Text.Json.Nodes;
using Bazaar.Server.Checks;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Checks;

/// <summary>The demo as `dotnet run` has it: demo data seeded, the sandbox on.</summary>
public sealed class CheckDemoAppFactory : ChecksAppFactory
{
    public CheckDemoAppFactory()
    {
        With("Seed:Demo", "true");
        With("Sandbox:Enabled", "true");
    }
}

public sealed class CheckSandboxTests(CheckDemoAppFactory app) : IClassFixture<CheckDemoAppFactory>
{
    private async Task<List<JsonElement>> Send(JsonObject update)
    {
        var r = await app.CreateClient().PostRaw("/api/v1/sandbox/updates", update.ToJsonString());
        Assert.Equal(200, (int)r.StatusCode);
        return (await r.ReadJson()).GetProperty("messages").EnumerateArray().ToList();
    }

    [Fact]
    public async Task The_demo_has_tariffs_and_a_sample_export_that_a_sandbox_user_can_check()
    {
        using var anonymous = app.CreateClient();
        var tariffs = await (await anonymous.GetAsync("/api/v1/tariffs")).ReadJson();
        Assert.True(tariffs.GetArrayLength() >= 2);
        var zip = await (await anonymous.GetAsync("/api/v1/checks/sample-export.zip")).Content.ReadAsByteArrayAsync();
        var lists = InstagramExport.Read(new MemoryStream(zip), zip.Length, new ExportLimits());
        Assert.Equal(8, lists.Followers.Count);

        var user = Updates.NewUserId();
        var buy = await Send(Updates.Text(user, "/buy"));
        Assert.Contains("chk:t:", buy.Last().ToString());
        await Send(Updates.Text(user, "/start"));
        var u = await app.WithDb(db => db.Users.AsNoTracking().SingleAsync(x => x.Channel == Bazaar.Server.Data.ChatChannel.Sandbox && x.ExternalId == user.ToString()));
        await app.Credits(c => c.GrantAsync(u.Id, 1, $"sandbox:{u.Id}", "test", CancellationToken.None));
        await Send(Updates.Text(user, "/check"));
        var doc = CheckTestData.Document(user, "sandbox-doc-1", SampleExport.FileName);
        var queued = await Send(doc);
        Assert.Contains("is queued", queued.Last().GetProperty("text").GetString());

        for (var i = 0; i < 3; i++)
        {
            app.Clock.Advance(TimeSpan.FromSeconds(5));
            await app.RunJobs();
        }
        var check = await app.WithDb(db => db.Checks.AsNoTracking().SingleAsync(c => c.UserId == u.Id));
        Assert.Equal(CheckStatus.Completed, check.Status);
        Assert.Equal(3, check.NotFollowingBack);
        Assert.Equal(4, check.NotFollowedBack);
    }
}
