using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Bazaar.Server.Giveaways;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.MiniApp;

/// <summary>Joining a giveaway from the app goes by the bot's rules: the captcha once, then the required channels.</summary>
public sealed class MiniAppGiveawayTests(MiniAppAppFactory app) : IClassFixture<MiniAppAppFactory>
{
    private async Task<Giveaway> CreateAsync(params string[] channels)
    {
        var now = app.Clock.GetUtcNow().UtcDateTime;
        var g = GiveawayApi.New(new GiveawayApi.GiveawayRequest("App giveaway " + Guid.NewGuid().ToString("N")[..6], "desc", "A bike", 1,
            now.AddMinutes(-5), now.AddHours(1),
            RequiredChannels: channels.Select(c => new GiveawayApi.ChannelRequest(c, "Channel " + c, "https://t.me/" + c.TrimStart('@'))).ToList()), now);
        g.Status = GiveawayStatus.Published;
        await app.WithDb(async db => { db.Giveaways.Add(g); await db.SaveChangesAsync(); });
        return g;
    }

    [Fact]
    public async Task Join_asks_the_captcha_then_checks_the_channels_then_joins_once()
    {
        var channel = "@news" + Guid.NewGuid().ToString("N")[..6];
        var g = await CreateAsync(channel);
        var tg = Updates.NewUserId();
        var client = app.As(tg);
        var subscribed = false;
        app.Bot.AnswerWith("getChatMember", call => new JsonObject
        {
            ["status"] = call.Str("chat_id") == channel && !subscribed ? "left" : "member",
            ["user"] = new JsonObject { ["id"] = tg, ["is_bot"] = false, ["first_name"] = "U" },
        });

        var open = await (await client.GetAsync("/api/v1/app/giveaways")).ReadJson();
        var listed = open.EnumerateArray().Single(x => x.GetProperty("id").GetInt64() == g.Id);
        Assert.False(listed.GetProperty("joined").GetBoolean());

        var asked = await (await client.PostAsync($"/api/v1/app/giveaways/{g.Id}/join", null)).ReadJson();
        Assert.Equal("captcha", asked.GetProperty("status").GetString());
        var session = asked.GetProperty("sessionId").GetString()!;
        var answer = await app.WithDb(db => db.CaptchaSessions.Where(s => s.Id == session).Select(s => s.Answer).SingleAsync());

        // Another customer cannot answer this user's question.
        await (await app.As(Updates.NewUserId()).PostAsJsonAsync("/api/v1/app/giveaways/captcha", new { sessionId = session, answer }))
            .AssertProblem(404, "captcha_not_found");
        await (await client.PostAsJsonAsync("/api/v1/app/giveaways/captcha", new { sessionId = session, answer = "-1" })).AssertProblem(400, "wrong_answer");

        var notYet = await (await client.PostAsJsonAsync("/api/v1/app/giveaways/captcha", new { sessionId = session, answer })).ReadJson();
        Assert.Equal("not_subscribed", notYet.GetProperty("status").GetString());
        Assert.Equal(channel, notYet.GetProperty("missingChannels")[0].GetProperty("chatId").GetString());

        subscribed = true;
        var joined = await (await client.PostAsync($"/api/v1/app/giveaways/{g.Id}/join", null)).ReadJson();
        Assert.Equal("joined", joined.GetProperty("status").GetString());
        var again = await (await client.PostAsync($"/api/v1/app/giveaways/{g.Id}/join", null)).ReadJson();
        Assert.Equal("already_participating", again.GetProperty("status").GetString());
        Assert.Equal(1, await app.WithDb(db => db.GiveawayParticipants.CountAsync(p => p.GiveawayId == g.Id)));
        open = await (await client.GetAsync("/api/v1/app/giveaways")).ReadJson();
        Assert.True(open.EnumerateArray().Single(x => x.GetProperty("id").GetInt64() == g.Id).GetProperty("joined").GetBoolean());

        await (await client.PostAsync("/api/v1/app/giveaways/987654/join", null)).AssertProblem(404, "giveaway_not_found");
    }
}
