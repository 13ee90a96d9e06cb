using Bazaar.Server.Admin;
using Bazaar.Server.Data;
using Bazaar.Server.Giveaways;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Dashboard;

/// <summary>Giveaway pages: create, edit, publish, participants, the draw with its commitment and seed.</summary>
public sealed class GiveawaysPagesTests(DashboardAppFactory app) : IClassFixture<DashboardAppFactory>
{
    private static KeyValuePair<string, string> F(string k, string v) => new(k, v);

    private Task<Giveaway> Load(long id) => app.WithDb(db => db.Giveaways.AsNoTracking().SingleAsync(g => g.Id == id));

    /// <summary>The bot is an admin in @bazaar_news and the -100… chats (the fake Bot API's getChatMember), as creating and publishing check.</summary>
    private void BotAdminInNews() =>
        Bazaar.Tests.Giveaways.GiveawayAppFactory.AnswerMembers(app.Bot,
            (chat, uid) => uid == Bazaar.Tests.Giveaways.GiveawayAppFactory.BotId && (chat == "@bazaar_news" || chat.StartsWith("-100")) ? "administrator" : "member");

    private async Task<long> CreateAsync(HttpClient c, string title, int winners = 2)
    {
        BotAdminInNews();
        var now = app.Clock.GetUtcNow().UtcDateTime;
        var r = await DashboardTestData.PostFields(c, "/admin/giveaways",
        [
            F("title", title), F("prize", "Headphones"), F("winnerCount", winners.ToString()), F("startsAt", now.AddMinutes(-1).ToString("yyyy-MM-ddTHH:mm")),
            F("endsAt", now.AddDays(3).ToString("yyyy-MM-ddTHH:mm")), F("channels", "@bazaar_news Bazaar news"),
        ], "/admin/giveaways");
        Assert.Equal($"Giveaway \"{title}\" created as a draft. Publish it to open it for joining.", await DashboardTestData.FlashOrError(c, r));
        return await app.WithDb(db => db.Giveaways.Where(g => g.Title == title).Select(g => g.Id).SingleAsync());
    }

    private async Task JoinAsync(long giveawayId, int n)
    {
        for (var i = 0; i < n; i++)
        {
            var u = await app.UserAsync("Gina");
            await app.WithDb(async db =>
            {
                db.GiveawayParticipants.Add(new GiveawayParticipant { GiveawayId = giveawayId, UserId = u.Id, JoinedAt = app.Clock.GetUtcNow().UtcDateTime });
                await db.Giveaways.Where(g => g.Id == giveawayId).ExecuteUpdateAsync(s => s.SetProperty(g => g.ParticipantCount, g => g.ParticipantCount + 1));
                await db.SaveChangesAsync();
            });
        }
    }

    [Fact]
    public async Task A_giveaway_requiring_a_channel_where_the_bot_is_not_an_admin_is_refused_with_the_channel_named()
    {
        BotAdminInNews();
        var c = await app.SignedIn(OperatorRoles.Manager);
        var now = app.Clock.GetUtcNow().UtcDateTime;
        var title = "No admin " + Guid.NewGuid().ToString("N")[..5];
        var r = await DashboardTestData.PostFields(c, "/admin/giveaways",
        [
            F("title", title), F("prize", "Headphones"), F("winnerCount", "1"), F("startsAt", now.AddMinutes(-1).ToString("yyyy-MM-ddTHH:mm")),
            F("endsAt", now.AddDays(3).ToString("yyyy-MM-ddTHH:mm")), F("channels", "@bazaar_news Bazaar news\n@elsewhere Elsewhere"),
        ], "/admin/giveaways");
        Assert.Equal("!The bot is not an admin in: @elsewhere. Add it there as an administrator, then try again.", await DashboardTestData.FlashOrError(c, r));
        Assert.False(await app.WithDb(db => db.Giveaways.AnyAsync(g => g.Title == title)));
    }

    [Fact]
    public async Task A_giveaway_is_created_with_its_channels_edited_and_published_into_a_chat()
    {
        var c = await app.SignedIn(OperatorRoles.Manager);
        var id = await CreateAsync(c, "Winter " + Guid.NewGuid().ToString("N")[..5]);
        var g = await app.WithDb(db => db.Giveaways.AsNoTracking().Include(x => x.RequiredChannels).SingleAsync(x => x.Id == id));
        Assert.Equal((GiveawayStatus.Draft, 2), (g.Status, g.WinnerCount));
        Assert.Equal(("@bazaar_news", "Bazaar news"), (g.RequiredChannels.Single().ChatId, g.RequiredChannels.Single().Title));

        var now = app.Clock.GetUtcNow().UtcDateTime;
        var bad = await DashboardTestData.PostFields(c, $"/admin/giveaways/{id}",
            [F("title", g.Title), F("prize", "x"), F("winnerCount", "1"), F("startsAt", now.ToString("yyyy-MM-ddTHH:mm")), F("endsAt", now.AddHours(-1).ToString("yyyy-MM-ddTHH:mm"))]);
        Assert.Equal("!ends_at must be after starts_at.", await DashboardTestData.FlashOrError(c, bad));

        var r = await DashboardTestData.PostFields(c, $"/admin/giveaways/{id}/publish", [F("chatId", "-1001234"), F("channel", "telegram")]);
        Assert.Equal("Published: the post with its Join button goes to -1001234.", await DashboardTestData.FlashOrError(c, r));
        Assert.Equal(GiveawayStatus.Published, (await Load(id)).Status);
        Assert.Contains((await app.OutboxFor(-1001234)), m => m.Payload.Contains(g.Title));
    }

    [Fact]
    public async Task The_draw_reveals_the_seed_that_matches_the_commitment_and_lists_participants_and_winners()
    {
        var c = await app.SignedIn(OperatorRoles.Owner);
        var id = await CreateAsync(c, "Draw " + Guid.NewGuid().ToString("N")[..5]);
        await DashboardTestData.PostFields(c, $"/admin/giveaways/{id}/publish", [F("chatId", "-1009999"), F("channel", "telegram")]);
        var before = await (await c.GetAsync($"/admin/giveaways/{id}")).Content.ReadAsStringAsync();
        var g = await Load(id);
        Assert.Contains(g.Commitment, before);
        Assert.DoesNotContain(g.SeedHex, before);
        Assert.Equal("!Nobody has joined giveaway " + id + " yet.", await DashboardTestData.FlashOrError(c, await DashboardTestData.PostForm(c, $"/admin/giveaways/{id}/draw")));

        await JoinAsync(id, 5);
        var r = await DashboardTestData.PostForm(c, $"/admin/giveaways/{id}/draw");
        Assert.Equal("Drawn: 2 winner(s) among 5 participants; they are being told.", await DashboardTestData.FlashOrError(c, r));
        g = await Load(id);
        Assert.Equal(GiveawayStatus.Drawn, g.Status);
        Assert.Equal(g.Commitment, FairDraw.Commitment(Convert.FromHexString(g.SeedHex)));
        var after = await (await c.GetAsync($"/admin/giveaways/{id}")).Content.ReadAsStringAsync();
        Assert.Contains(g.SeedHex, after);
        Assert.Contains("<h2>Winners</h2>", after);
        Assert.Equal(5, System.Text.RegularExpressions.Regex.Matches(after.Split("id=\"participants\"")[1], "Gina").Count);
        Assert.DoesNotContain("action=\"/admin/giveaways/" + id + "/draw\"", after); // no second draw offered
    }
}
