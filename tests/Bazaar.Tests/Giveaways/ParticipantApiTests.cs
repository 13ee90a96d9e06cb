using System.Net;
using System.Text.Json.Nodes;
using Bazaar.Server.Giveaways;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Giveaways;

/// <summary>The participant-service API: every route with good and bad input, snake_case, success/error/error_code.</summary>
public sealed class ParticipantApiTests : IAsyncLifetime
{
    private readonly GiveawayAppFactory app = new();
    public Task InitializeAsync() => app.InitializeAsync();
    public async Task DisposeAsync() => await ((IAsyncLifetime)app).DisposeAsync();

    private async Task<(HttpStatusCode Status, JsonObject Body)> Call(HttpMethod method, string path, object? body = null)
    {
        var r = await app.Api(method, path, body);
        return (r.StatusCode, await GiveawayAppFactory.Json(r));
    }

    private static void Fails(HttpStatusCode expected, string code, (HttpStatusCode Status, JsonObject Body) r)
    {
        Assert.Equal(expected, r.Status);
        Assert.False(r.Body["success"]!.GetValue<bool>());
        Assert.Equal(code, r.Body["error_code"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(r.Body["error"]!.GetValue<string>()));
    }

    private async Task<string> AnswerOf(string sessionId) =>
        await app.WithDb(db => db.CaptchaSessions.Where(s => s.Id == sessionId).Select(s => s.Answer).SingleAsync());

    [Fact]
    public async Task Every_route_needs_the_API_key()
    {
        var anonymous = app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/api/participants/register", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/participants/count/1")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/participants/list/1")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PutAsync("/api/participants/update-delivery-status", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"))).StatusCode);
    }

    [Theory]
    [InlineData("member", true)]
    [InlineData("administrator", true)]
    [InlineData("creator", true)]
    [InlineData("restricted", true)]
    [InlineData("restricted_left", false)]
    [InlineData("left", false)]
    [InlineData("kicked", false)]
    public async Task Register_checks_the_required_channels_by_the_bots_rules(string status, bool counts)
    {
        var g = await app.CreateGiveaway(null, "@news", "-100777");
        var tg = await app.HumanUser();
        app.Members((chat, uid) => uid == tg && chat == "-100777" ? status : "member");
        var r = await Call(HttpMethod.Post, "/api/participants/register", new { giveaway_id = g.Id, user_id = tg });
        Assert.Equal(2, app.Bot.CallsOf("getChatMember").Count(c => c.Str("user_id") == tg.ToString()));
        var user = await app.UserOf(tg);
        var record = await app.WithDb(db => db.GiveawayUserRecords.AsNoTracking().SingleAsync(x => x.UserId == user.Id));
        Assert.NotNull(record.LastSubscriptionCheckAt);
        if (counts)
        {
            Assert.Equal(HttpStatusCode.OK, r.Status);
            Assert.Equal((await app.Participants(g.Id)).Single().Id, r.Body["participant_id"]!.GetValue<long>());
            Assert.NotNull((await app.Participants(g.Id)).Single().SubscriptionCheckedAt);
            return;
        }
        Fails(HttpStatusCode.Forbidden, "NOT_SUBSCRIBED", r);
        var missing = Assert.Single(r.Body["missing_channels"]!.AsArray())!;
        Assert.Equal("-100777", missing["chat_id"]!.GetValue<string>());
        Assert.Equal("https://t.me/-100777", missing["link"]!.GetValue<string>());
        Assert.NotNull(r.Body["checked_at"]);
        Assert.Empty(await app.Participants(g.Id));

        // Subscribed meanwhile: registering again joins.
        app.Members(_ => "member");
        var again = await Call(HttpMethod.Post, "/api/participants/register", new { giveaway_id = g.Id, user_id = tg });
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Single(await app.Participants(g.Id));
    }

    [Fact]
    public async Task After_the_captcha_the_subscriptions_are_checked_before_the_join_and_Telegram_down_is_a_503()
    {
        var g = await app.CreateGiveaway(null, "@news");
        var tg = Updates.NewUserId();
        var r = await Call(HttpMethod.Post, "/api/participants/register", new { giveaway_id = g.Id, user_id = tg });
        Assert.True(r.Body["requires_captcha"]!.GetValue<bool>());
        Assert.Empty(app.Bot.CallsOf("getChatMember")); // the captcha comes first, as in the bot
        var session = r.Body["session_id"]!.GetValue<string>();
        app.Members(uid => uid == tg ? "left" : "member");
        var v = await Call(HttpMethod.Post, "/api/participants/validate-captcha", new { session_id = session, answer = await AnswerOf(session) });
        Fails(HttpStatusCode.Forbidden, "NOT_SUBSCRIBED", v);
        Assert.Empty(await app.Participants(g.Id));

        // The captcha stays passed; once subscribed, register joins without a question.
        app.Bot.FailNext("getChatMember", 502, "Bad Gateway");
        var down = await Call(HttpMethod.Post, "/api/participants/register", new { giveaway_id = g.Id, user_id = tg });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.Status);
        Assert.Equal("TELEGRAM_UNAVAILABLE", down.Body["error_code"]!.GetValue<string>());
        Assert.Empty(await app.Participants(g.Id));
        app.Members(_ => "member");
        var joined = await Call(HttpMethod.Post, "/api/participants/register", new { giveaway_id = g.Id, user_id = tg });
        Assert.Equal(HttpStatusCode.OK, joined.Status);
        Assert.False(joined.Body["requires_captcha"]!.GetValue<bool>());
        Assert.Single(await app.Participants(g.Id));
    }

    [Fact]
    public async Task Register_asks_the_captcha_then_validate_captcha_joins_and_a_repeat_is_a_duplicate()
    {
        var g = await app.CreateGiveaway();
        var tg = Updates.NewUserId();
        var r = await Call(HttpMethod.Post, "/api/participants/register", new { giveaway_id = g.Id, user_id = tg, username = "bob", first_name = "Bob", last_name = "B" });
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.True(r.Body["success"]!.GetValue<bool>());
        Assert.True(r.Body["requires_captcha"]!.GetValue<bool>());
        Assert.EndsWith("= ?", r.Body["captcha_question"]!.GetValue<string>());
        var session = r.Body["session_id"]!.GetValue<string>();
        var answer = await AnswerOf(session);

        var wrong = await Call(HttpMethod.Post, "/api/participants/validate-captcha", new { session_id = session, answer = answer + "1" });
        Fails(HttpStatusCode.BadRequest, "INVALID_ANSWER", wrong);
        Assert.Equal(2, wrong.Body["attempts_left"]!.GetValue<int>());
        var ok = await Call(HttpMethod.Post, "/api/participants/validate-captcha", new { session_id = session, answer });
        Assert.Equal(HttpStatusCode.OK, ok.Status);
        Assert.True(ok.Body["success"]!.GetValue<bool>());
        var participantId = ok.Body["participant_id"]!.GetValue<long>();
        Assert.Equal(participantId, (await app.Participants(g.Id)).Single().Id);

        var again = await Call(HttpMethod.Post, "/api/participants/join", new { giveaway_id = g.Id, user_id = tg });
        Fails(HttpStatusCode.Conflict, "DUPLICATE_PARTICIPATION", again);

        // Another giveaway: no captcha this time.
        var g2 = await app.CreateGiveaway();
        var second = await Call(HttpMethod.Post, "/api/participants/join", new { giveaway_id = g2.Id, user_id = tg });
        Assert.False(second.Body["requires_captcha"]!.GetValue<bool>());
        Assert.NotNull(second.Body["participant_id"]);

        var status = await Call(HttpMethod.Get, $"/api/participants/captcha-status/{tg}");
        Assert.True(status.Body["success"]!.GetValue<bool>());
        Assert.True(status.Body["captcha_completed"]!.GetValue<bool>());
        Assert.NotNull(status.Body["completed_at"]);
        Assert.Equal(2, status.Body["total_participations"]!.GetValue<int>());
        Assert.Equal(0, status.Body["total_wins"]!.GetValue<int>());
        Assert.NotNull(status.Body["first_participation"]);
    }

    [Fact]
    public async Task Register_and_validate_refuse_bad_input_with_the_listed_codes()
    {
        var g = await app.CreateGiveaway();
        var now = app.Clock.GetUtcNow().UtcDateTime;
        var over = await app.CreateGiveaway(x => { x.StartsAt = now.AddHours(-2); x.EndsAt = now.AddHours(-1); });
        var later = await app.CreateGiveaway(x => { x.StartsAt = now.AddHours(1); x.EndsAt = now.AddHours(2); });
        Fails(HttpStatusCode.BadRequest, "MISSING_FIELD", await Call(HttpMethod.Post, "/api/participants/register", new { user_id = 5 }));
        Fails(HttpStatusCode.BadRequest, "MISSING_FIELD", await Call(HttpMethod.Post, "/api/participants/register", new { giveaway_id = g.Id }));
        Fails(HttpStatusCode.BadRequest, "MISSING_FIELD", await Call(HttpMethod.Post, "/api/participants/register", "not json"));
        Fails(HttpStatusCode.BadRequest, "MISSING_FIELD", await Call(HttpMethod.Post, "/api/participants/register", "{\"giveaway_id\":\"x\"}"));
        Fails(HttpStatusCode.NotFound, "GIVEAWAY_NOT_FOUND", await Call(HttpMethod.Post, "/api/participants/register", new { giveaway_id = 987654, user_id = 5 }));
        var tg = await app.HumanUser();
        Fails(HttpStatusCode.Conflict, "GIVEAWAY_CLOSED", await Call(HttpMethod.Post, "/api/participants/register", new { giveaway_id = over.Id, user_id = tg }));
        Fails(HttpStatusCode.Conflict, "GIVEAWAY_CLOSED", await Call(HttpMethod.Post, "/api/participants/register", new { giveaway_id = later.Id, user_id = tg }));

        Fails(HttpStatusCode.BadRequest, "MISSING_FIELD", await Call(HttpMethod.Post, "/api/participants/validate-captcha", new { answer = "3" }));
        Fails(HttpStatusCode.BadRequest, "MISSING_FIELD", await Call(HttpMethod.Post, "/api/participants/validate-captcha", new { session_id = "abc" }));
        Fails(HttpStatusCode.NotFound, "SESSION_EXPIRED", await Call(HttpMethod.Post, "/api/participants/validate-captcha", new { session_id = "nope", answer = "3" }));

        // Three wrong answers, then the cool-down; an expired session.
        var fresh = Updates.NewUserId();
        var r = await Call(HttpMethod.Post, "/api/participants/register", new { giveaway_id = g.Id, user_id = fresh });
        var session = r.Body["session_id"]!.GetValue<string>();
        var answer = await AnswerOf(session);
        Fails(HttpStatusCode.BadRequest, "INVALID_ANSWER", await Call(HttpMethod.Post, "/api/participants/validate-captcha", new { session_id = session, answer = "x" + answer }));
        Fails(HttpStatusCode.BadRequest, "INVALID_ANSWER", await Call(HttpMethod.Post, "/api/participants/validate-captcha", new { session_id = session, answer = "x" + answer }));
        Fails(HttpStatusCode.TooManyRequests, "TOO_MANY_ATTEMPTS", await Call(HttpMethod.Post, "/api/participants/validate-captcha", new { session_id = session, answer = "x" + answer }));
        Fails(HttpStatusCode.TooManyRequests, "TOO_MANY_ATTEMPTS", await Call(HttpMethod.Post, "/api/participants/validate-captcha", new { session_id = session, answer }));
        Fails(HttpStatusCode.TooManyRequests, "TOO_MANY_ATTEMPTS", await Call(HttpMethod.Post, "/api/participants/register", new { giveaway_id = g.Id, user_id = fresh }));
        app.Clock.Advance(TimeSpan.FromSeconds(61));
        var next = await Call(HttpMethod.Post, "/api/participants/register", new { giveaway_id = g.Id, user_id = fresh });
        var session2 = next.Body["session_id"]!.GetValue<string>();
        Assert.NotEqual(session, session2);
        app.Clock.Advance(TimeSpan.FromMinutes(11));
        Fails(HttpStatusCode.Gone, "SESSION_EXPIRED", await Call(HttpMethod.Post, "/api/participants/validate-captcha", new { session_id = session2, answer = await AnswerOf(session2) }));
    }

    [Fact]
    public async Task Count_list_winner_status_select_winners_and_delivery_status()
    {
        var g = await app.CreateGiveaway(x => x.WinnerCount = 2);
        var users = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            var tg = await app.HumanUser();
            users.Add(tg);
            Assert.Equal(HttpStatusCode.OK, (await app.Api(HttpMethod.Post, "/api/participants/register", new { giveaway_id = g.Id, user_id = tg })).StatusCode);
        }
        var count = await Call(HttpMethod.Get, $"/api/participants/count/{g.Id}");
        Assert.Equal(5, count.Body["count"]!.GetValue<int>());
        Assert.True(count.Body["success"]!.GetValue<bool>());
        Fails(HttpStatusCode.NotFound, "GIVEAWAY_NOT_FOUND", await Call(HttpMethod.Get, "/api/participants/count/424242"));
        Fails(HttpStatusCode.BadRequest, "MISSING_FIELD", await Call(HttpMethod.Get, "/api/participants/count/abc"));

        var page1 = await Call(HttpMethod.Get, $"/api/participants/list/{g.Id}?page=1&page_size=2");
        Assert.Equal(5, page1.Body["total"]!.GetValue<int>());
        Assert.Equal(2, page1.Body["participants"]!.AsArray().Count);
        var page3 = await Call(HttpMethod.Get, $"/api/participants/list/{g.Id}?page=3&page_size=2");
        Assert.Single(page3.Body["participants"]!.AsArray());
        Assert.NotNull(page1.Body["participants"]![0]!["user_id"]);
        Fails(HttpStatusCode.NotFound, "GIVEAWAY_NOT_FOUND", await Call(HttpMethod.Get, "/api/participants/list/424242"));
        Fails(HttpStatusCode.BadRequest, "MISSING_FIELD", await Call(HttpMethod.Get, "/api/participants/list/abc"));

        var before = await Call(HttpMethod.Get, $"/api/participants/winner-status/{users[0]}/{g.Id}");
        Assert.True(before.Body["participated"]!.GetValue<bool>());
        Assert.False(before.Body["is_winner"]!.GetValue<bool>());
        Assert.Equal(0, before.Body["total_winners"]!.GetValue<int>());
        Fails(HttpStatusCode.NotFound, "GIVEAWAY_NOT_FOUND", await Call(HttpMethod.Get, $"/api/participants/winner-status/{users[0]}/424242"));
        Fails(HttpStatusCode.BadRequest, "MISSING_FIELD", await Call(HttpMethod.Get, $"/api/participants/winner-status/abc/{g.Id}"));

        Fails(HttpStatusCode.BadRequest, "MISSING_FIELD", await Call(HttpMethod.Post, "/api/participants/select-winners", new { giveaway_id = g.Id }));
        Fails(HttpStatusCode.BadRequest, "MISSING_FIELD", await Call(HttpMethod.Post, "/api/participants/select-winners", new { winner_count = 2 }));
        Fails(HttpStatusCode.NotFound, "GIVEAWAY_NOT_FOUND", await Call(HttpMethod.Post, "/api/participants/select-winners", new { giveaway_id = 424242, winner_count = 1 }));
        var empty = await app.CreateGiveaway();
        Fails(HttpStatusCode.BadRequest, "NO_PARTICIPANTS", await Call(HttpMethod.Post, "/api/participants/select-winners", new { giveaway_id = empty.Id, winner_count = 1 }));

        var sel = await Call(HttpMethod.Post, "/api/participants/select-winners", new { giveaway_id = g.Id, winner_count = 3 });
        Assert.Equal(HttpStatusCode.OK, sel.Status);
        Assert.True(sel.Body["success"]!.GetValue<bool>());
        Assert.Equal(3, sel.Body["winners"]!.AsArray().Count);
        Assert.Equal(5, sel.Body["total_participants"]!.GetValue<int>());
        Assert.Equal(3, sel.Body["winner_count_requested"]!.GetValue<int>());
        Assert.Equal(3, sel.Body["winner_count_selected"]!.GetValue<int>());
        Assert.NotNull(sel.Body["selection_timestamp"]);
        Assert.Equal(FairDraw.Method, sel.Body["selection_method"]!.GetValue<string>());
        // A repeat answers the same draw.
        var repeat = await Call(HttpMethod.Post, "/api/participants/select-winners", new { giveaway_id = g.Id, winner_count = 3 });
        Assert.Equal(sel.Body["winners"]!.ToJsonString(), repeat.Body["winners"]!.ToJsonString());

        var winner = sel.Body["winners"]![0]!["user_id"]!.GetValue<long>();
        var ws = await Call(HttpMethod.Get, $"/api/participants/winner-status/{winner}/{g.Id}");
        Assert.True(ws.Body["is_winner"]!.GetValue<bool>());
        Assert.NotNull(ws.Body["winner_selected_at"]);
        Assert.Equal(3, ws.Body["total_winners"]!.GetValue<int>());
        // The per-user totals count the win (and only once, though select-winners was called twice).
        var totals = await Call(HttpMethod.Get, $"/api/participants/captcha-status/{winner}");
        Assert.Equal(1, totals.Body["total_wins"]!.GetValue<int>());
        Assert.Equal(1, totals.Body["total_participations"]!.GetValue<int>());
        var loserTotals = await Call(HttpMethod.Get, $"/api/participants/captcha-status/{users.First(u => !sel.Body["winners"]!.AsArray().Any(w => w!["user_id"]!.GetValue<long>() == u))}");
        Assert.Equal(0, loserTotals.Body["total_wins"]!.GetValue<int>());

        var upd = await Call(HttpMethod.Put, "/api/participants/update-delivery-status", new { giveaway_id = g.Id, user_id = winner, status = "failed", error = "chat not found" });
        Assert.Equal(HttpStatusCode.OK, upd.Status);
        Assert.Equal("failed", upd.Body["status"]!.GetValue<string>());
        Assert.Equal("chat not found", upd.Body["error"]!.GetValue<string>());
        Fails(HttpStatusCode.BadRequest, "MISSING_FIELD", await Call(HttpMethod.Put, "/api/participants/update-delivery-status", new { giveaway_id = g.Id, user_id = winner }));
        Fails(HttpStatusCode.BadRequest, "MISSING_FIELD", await Call(HttpMethod.Put, "/api/participants/update-delivery-status", new { giveaway_id = g.Id, user_id = winner, status = "eaten" }));
        Fails(HttpStatusCode.NotFound, "GIVEAWAY_NOT_FOUND", await Call(HttpMethod.Put, "/api/participants/update-delivery-status", new { giveaway_id = 424242, user_id = winner, status = "delivered" }));
        var loser = users.First(u => u != winner && !sel.Body["winners"]!.AsArray().Any(w => w!["user_id"]!.GetValue<long>() == u));
        Fails(HttpStatusCode.NotFound, "NOT_A_WINNER", await Call(HttpMethod.Put, "/api/participants/update-delivery-status", new { giveaway_id = g.Id, user_id = loser, status = "delivered" }));
        var stored = await app.WithDb(db => db.GiveawayWinners.AsNoTracking().Where(w => w.GiveawayId == g.Id).ToListAsync());
        Assert.Contains(stored, w => w.Delivery == WinnerDelivery.Failed && w.DeliveryError == "chat not found");
    }

    [Fact]
    public async Task Verify_subscription_asks_getChatMember_and_lists_what_is_missing()
    {
        var g = await app.CreateGiveaway(null, "@news", "@chat");
        var tg = await app.HumanUser();
        await app.Api(HttpMethod.Post, "/api/participants/register", new { giveaway_id = g.Id, user_id = tg });
        app.Members(uid => "member");
        app.Bot.AnswerWith("getChatMember", call => new JsonObject
        {
            ["status"] = call.Str("chat_id") == "@chat" ? "left" : "member",
            ["user"] = new JsonObject { ["id"] = tg, ["is_bot"] = false, ["first_name"] = "U" },
        });
        var r = await Call(HttpMethod.Post, "/api/participants/verify-subscription", new { giveaway_id = g.Id, user_id = tg });
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.False(r.Body["is_subscribed"]!.GetValue<bool>());
        var missing = Assert.Single(r.Body["missing_channels"]!.AsArray());
        Assert.Equal("@chat", missing!["chat_id"]!.GetValue<string>());
        Assert.Equal("left", missing["status"]!.GetValue<string>());
        Assert.NotNull((await app.Participants(g.Id)).Single().SubscriptionCheckedAt);

        Fails(HttpStatusCode.BadRequest, "MISSING_FIELD", await Call(HttpMethod.Post, "/api/participants/verify-subscription", new { giveaway_id = g.Id }));
        Fails(HttpStatusCode.NotFound, "GIVEAWAY_NOT_FOUND", await Call(HttpMethod.Post, "/api/participants/verify-subscription", new { giveaway_id = 424242, user_id = tg }));
    }
}
