using System.Net;
using System.Text.Json.Nodes;
using Bazaar.Server.Giveaways;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Giveaways;

/// <summary>Joining from the bot: captcha once per user, subscription checks in a job, duplicates, closed giveaways.</summary>
public sealed class GiveawayJoinTests : IAsyncLifetime
{
    private readonly GiveawayAppFactory app = new();
    public Task InitializeAsync() => app.InitializeAsync();
    public async Task DisposeAsync() => await ((IAsyncLifetime)app).DisposeAsync();

    private async Task<CaptchaSession> OpenSession(long tg) =>
        await app.WithDb(async db =>
        {
            var user = await db.Users.AsNoTracking().SingleAsync(u => u.ExternalId == tg.ToString());
            return await db.CaptchaSessions.AsNoTracking().Where(s => s.UserId == user.Id).OrderByDescending(s => s.CreatedAt).FirstAsync();
        });

    [Fact]
    public async Task The_captcha_is_asked_once_counts_wrong_answers_and_is_remembered_across_giveaways()
    {
        var first = await app.CreateGiveaway();
        var second = await app.CreateGiveaway();
        var tg = Updates.NewUserId();

        await app.Send(Updates.Text(tg, $"/start gw_{first.Id}"));
        Assert.Contains("only once", await app.LastText(tg));
        var session = await OpenSession(tg);

        await app.Send(Updates.Text(tg, "9999"));
        Assert.Contains("Attempts left: 2", await app.LastText(tg));
        await app.Send(Updates.Text(tg, "not a number"));
        Assert.Contains("reply with a number", await app.LastText(tg));
        await app.Send(Updates.Text(tg, session.Answer));
        var texts = await app.TextsFor(tg);
        Assert.Contains(texts, t => t.Contains("passed the check"));
        Assert.Contains("You are in!", texts.Last());
        Assert.Single(await app.Participants(first.Id));

        // The second giveaway does not ask again.
        await app.Send(Updates.Text(tg, $"/start gw_{second.Id}"));
        Assert.Contains("You are in!", await app.LastText(tg));
        var user = await app.UserOf(tg);
        var record = await app.WithDb(db => db.GiveawayUserRecords.AsNoTracking().SingleAsync(r => r.UserId == user.Id));
        Assert.NotNull(record.CaptchaCompletedAt);
        Assert.Equal(2, record.TotalParticipations);
        Assert.NotNull(record.FirstParticipationAt);
        Assert.Equal(1, await app.WithDb(db => db.CaptchaSessions.CountAsync(s => s.UserId == user.Id)));

        // A duplicate join says so.
        await app.Send(Updates.Callback(tg, GiveawayBot.JoinPrefix + first.Id));
        Assert.Contains("already participating", await app.LastText(tg));
        Assert.Single(await app.Participants(first.Id));
    }

    [Fact]
    public async Task Three_wrong_answers_end_the_session_and_a_new_question_comes_only_after_the_cool_down()
    {
        var g = await app.CreateGiveaway();
        var tg = Updates.NewUserId();
        await app.Send(Updates.Text(tg, $"/start gw_{g.Id}"));
        var session = await OpenSession(tg);
        var wrong = (int.Parse(session.Answer) + 1).ToString();
        await app.Send(Updates.Text(tg, wrong), Updates.Text(tg, wrong));
        Assert.Contains("Attempts left: 1", await app.LastText(tg));
        await app.Send(Updates.Text(tg, wrong));
        Assert.Contains("last attempt", await app.LastText(tg));
        // The right answer now is too late: the step is over, the session spent.
        Assert.Equal(3, (await OpenSession(tg)).Attempts);

        await app.Send(Updates.Callback(tg, GiveawayBot.JoinPrefix + g.Id));
        Assert.Contains("Please wait", await app.LastText(tg));
        app.Clock.Advance(TimeSpan.FromSeconds(61));
        await app.Send(Updates.Callback(tg, GiveawayBot.JoinPrefix + g.Id));
        Assert.Contains("only once", await app.LastText(tg));
        var fresh = await OpenSession(tg);
        Assert.NotEqual(session.Id, fresh.Id);
        await app.Send(Updates.Text(tg, fresh.Answer));
        Assert.Contains("You are in!", await app.LastText(tg));
    }

    [Fact]
    public async Task An_expired_session_asks_a_new_question()
    {
        var g = await app.CreateGiveaway();
        var tg = Updates.NewUserId();
        await app.Send(Updates.Text(tg, $"/start gw_{g.Id}"));
        var session = await OpenSession(tg);
        app.Clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        await app.Send(Updates.Text(tg, session.Answer));
        Assert.Contains("expired", await app.LastText(tg));
        var fresh = await OpenSession(tg);
        Assert.NotEqual(session.Id, fresh.Id);
        Assert.Empty(await app.Participants(g.Id));
        await app.Send(Updates.Text(tg, fresh.Answer));
        Assert.Contains("You are in!", await app.LastText(tg));
    }

    [Fact]
    public async Task Giveaways_not_started_ended_or_unknown_get_a_clear_message()
    {
        var now = app.Clock.GetUtcNow().UtcDateTime;
        var later = await app.CreateGiveaway(g => { g.StartsAt = now.AddHours(2); g.EndsAt = now.AddHours(3); });
        var over = await app.CreateGiveaway(g => { g.StartsAt = now.AddHours(-3); g.EndsAt = now.AddHours(-1); });
        var full = await app.CreateGiveaway(g => { g.EndAfterParticipants = 1; g.ParticipantCount = 1; });
        var tg = await app.HumanUser();
        await app.Send(Updates.Text(tg, $"/start gw_{later.Id}"));
        Assert.Contains("starts at", await app.LastText(tg));
        await app.Send(Updates.Text(tg, $"/start gw_{over.Id}"));
        Assert.Contains("has ended", await app.LastText(tg));
        await app.Send(Updates.Text(tg, $"/start gw_{full.Id}"));
        Assert.Contains("has ended", await app.LastText(tg));
        await app.Send(Updates.Text(tg, "/start gw_999999"));
        Assert.Contains("does not exist", await app.LastText(tg));
    }

    [Theory]
    [InlineData("member", true)]
    [InlineData("administrator", true)]
    [InlineData("creator", true)]
    [InlineData("restricted", true)]
    [InlineData("restricted_left", false)]
    [InlineData("left", false)]
    [InlineData("kicked", false)]
    public async Task Each_chat_member_status_decides_the_subscription_in_a_job_outside_the_update(string status, bool counts)
    {
        var g = await app.CreateGiveaway(null, "@news", "-100777");
        var tg = await app.HumanUser();
        app.Members(uid => uid == tg ? status : "member");
        await app.Send(Updates.Text(tg, $"/start gw_{g.Id}"));
        Assert.Contains("Checking your subscriptions", await app.LastText(tg));
        Assert.Empty(app.Bot.CallsOf("getChatMember")); // not from inside the update's transaction

        await app.RunJobs();
        Assert.Equal(2, app.Bot.CallsOf("getChatMember").Count(c => c.Str("user_id") == tg.ToString()));
        var last = await app.LastText(tg);
        var user = await app.UserOf(tg);
        var record = await app.WithDb(db => db.GiveawayUserRecords.AsNoTracking().SingleAsync(r => r.UserId == user.Id));
        Assert.NotNull(record.LastSubscriptionCheckAt);
        if (counts)
        {
            Assert.Contains("You are in!", last);
            Assert.NotNull((await app.Participants(g.Id)).Single().SubscriptionCheckedAt);
        }
        else
        {
            Assert.Contains("subscribe to", last);
            Assert.Contains("https://t.me/news", last);
            Assert.Contains("https://t.me/-100777", last);
            var payload = JsonNode.Parse((await app.OutboxFor(tg)).Last(m => m.Method == "sendMessage").Payload)!;
            Assert.Contains(GiveawayBot.CheckPrefix + g.Id, payload["reply_markup"]!.ToJsonString());
            Assert.Empty(await app.Participants(g.Id));

            // Subscribed meanwhile: Check again joins.
            app.Members(_ => "member");
            await app.Send(Updates.Callback(tg, GiveawayBot.CheckPrefix + g.Id));
            await app.RunJobs();
            Assert.Contains("You are in!", await app.LastText(tg));
        }
    }

    [Fact]
    public async Task Concurrent_duplicate_joins_give_one_participant()
    {
        var g = await app.CreateGiveaway();
        var tg = await app.HumanUser();
        var user = await app.UserOf(tg);
        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Task.Run(async () =>
        {
            await using var scope = app.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<GiveawayEntry>().JoinAsync(g.Id, user.Id, null, CancellationToken.None);
        })));
        Assert.Single(results, r => r.Outcome == JoinOutcome.Joined);
        Assert.All(results, r => Assert.Contains(r.Outcome, new[] { JoinOutcome.Joined, JoinOutcome.AlreadyParticipating }));
        Assert.Single(await app.Participants(g.Id));
        Assert.Equal(1, await app.WithDb(db => db.Giveaways.Where(x => x.Id == g.Id).Select(x => x.ParticipantCount).SingleAsync()));
        Assert.Equal(1, await app.WithDb(db => db.GiveawayUserRecords.Where(r => r.UserId == user.Id).Select(r => r.TotalParticipations).SingleAsync()));

        // And over HTTP: concurrent registers of one user answer one participant and 409s.
        var tg2 = await app.HumanUser();
        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ =>
            app.Api(HttpMethod.Post, "/api/participants/register", new { giveaway_id = g.Id, user_id = tg2 })));
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Equal(9, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        Assert.Equal(2, (await app.Participants(g.Id)).Count);
    }
}
