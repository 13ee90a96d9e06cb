using System.Text.Json;
using Bazaar.Server.Giveaways;
using Bazaar.Server.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Giveaways;

/// <summary>The demo giveaway played in the sandbox, with the required channel answered from configuration.</summary>
public sealed class GiveawaySandboxTests : IAsyncLifetime
{
    private readonly BotAppFactory app = new();

    public Task InitializeAsync()
    {
        app.With("Sandbox:Enabled", "true");
        app.With("Seed:Demo", "true");
        app.With($"Giveaways:SandboxChatMembers:{GiveawayDemoSeed.DemoChannel}:default", "member");
        app.With($"Giveaways:SandboxChatMembers:{GiveawayDemoSeed.DemoChannel}:1002", "left");
        return app.InitializeAsync();
    }

    public async Task DisposeAsync() => await ((IAsyncLifetime)app).DisposeAsync();

    private async Task<List<string>> Say(long user, string text)
    {
        var r = await app.CreateClient().PostRaw("/api/v1/sandbox/updates", Updates.Text(user, text).ToJsonString());
        Assert.Equal(200, (int)r.StatusCode);
        return (await r.ReadJson()).GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString() ?? "").ToList();
    }

    private async Task<List<string>> Later(long user)
    {
        while (await app.Services.GetRequiredService<JobRunner>().RunOnceAsync("test", CancellationToken.None) is not null) { }
        var r = await app.CreateClient().GetAsync($"/api/v1/sandbox/messages?chatId={user}");
        return (await r.ReadJson()).EnumerateArray().Select(m => m.GetProperty("text").GetString() ?? "").ToList();
    }

    private async Task<string> Answer(long tg) => await app.WithDb(db => (from s in db.CaptchaSessions join u in db.Users on s.UserId equals u.Id
                                                                         where u.ExternalId == tg.ToString() orderby s.CreatedAt descending select s.Answer).FirstAsync());

    [Fact]
    public async Task A_newcomer_joins_the_demo_giveaway_and_one_who_left_the_channel_is_told_what_to_subscribe_to()
    {
        var demo = await app.WithDb(db => db.Giveaways.AsNoTracking().SingleAsync());
        Assert.Equal(GiveawayStatus.Published, demo.Status);
        Assert.Contains(await Later(1001), t => t.Contains("Headphones giveaway") && t.Contains(demo.Commitment)); // the post in Alice's chat

        Assert.Contains(await Say(1001, $"/start gw_{demo.Id}"), t => t.Contains("only once"));
        Assert.Contains(await Say(1001, await Answer(1001)), t => t.Contains("Checking your subscriptions"));
        Assert.Contains(await Later(1001), t => t.Contains("You are in!"));

        await Say(1002, $"/start gw_{demo.Id}");
        await Say(1002, await Answer(1002));
        Assert.Contains(await Later(1002), t => t.Contains("subscribe to") && t.Contains("Bazaar news"));
        Assert.Equal(1, await app.WithDb(db => db.GiveawayParticipants.CountAsync()));
    }
}
