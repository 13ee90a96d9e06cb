using System.Net;
using System.Text.Json.Nodes;
using Bazaar.Server.Giveaways;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Giveaways;

/// <summary>
/// Giveaways:Captcha:Kind = emoji: a named emoji to press among six buttons, with the arithmetic captcha's session rules
/// (10 minutes, 3 attempts, cool-down, expiry, once for every giveaway), in the bot and through the participant API.
/// </summary>
public sealed class EmojiCaptchaTests : IAsyncLifetime
{
    private readonly GiveawayAppFactory app = new();

    public Task InitializeAsync()
    {
        app.With("Giveaways:Captcha:Kind", "emoji");
        return app.InitializeAsync();
    }

    public async Task DisposeAsync() => await ((IAsyncLifetime)app).DisposeAsync();

    private Task<CaptchaSession> LatestSession(long tg) =>
        app.WithDb(async db =>
        {
            var user = await db.Users.AsNoTracking().SingleAsync(u => u.ExternalId == tg.ToString());
            return await db.CaptchaSessions.AsNoTracking().Where(s => s.UserId == user.Id).OrderByDescending(s => s.CreatedAt).FirstAsync();
        });

    private Task<CaptchaSession> Session(string id) => app.WithDb(db => db.CaptchaSessions.AsNoTracking().SingleAsync(s => s.Id == id));

    /// <summary>The last message to the chat: its text and its buttons (text, callback data).</summary>
    private async Task<(string Text, List<(string Label, string Data)> Buttons)> Last(long tg)
    {
        var m = (await app.OutboxFor(tg)).Last(x => x.Method is "sendMessage" or "editMessageText");
        var p = JsonNode.Parse(m.Payload)!;
        var buttons = (p["reply_markup"]?["inline_keyboard"]?.AsArray() ?? []).SelectMany(r => r!.AsArray())
            .Select(b => (b!["text"]!.GetValue<string>(), b["callback_data"]?.GetValue<string>() ?? "")).ToList();
        return (p["text"]!.GetValue<string>(), buttons);
    }

    private static int Position(CaptchaSession s, string emoji) => Array.IndexOf(s.Question.Split(' '), emoji) + 1;
    private static int RightButton(CaptchaSession s) => Position(s, s.Answer);
    private static int WrongButton(CaptchaSession s) => s.Question.Split(' ').Select((e, i) => (e, i)).First(x => x.e != s.Answer).i + 1;

    private Task Press(long tg, string sessionId, int position, string lang = "en") =>
        PressData(tg, $"{GiveawayBot.CaptchaPrefix}{sessionId}:{position}", lang);

    private async Task PressData(long tg, string data, string lang = "en")
    {
        app.Clock.Advance(TimeSpan.FromSeconds(1.1)); // the per-second button limit
        var update = Updates.Callback(tg, data);
        update["callback_query"]!["from"]!["language_code"] = lang;
        await app.Send(update);
    }

    [Fact]
    public async Task The_user_is_shown_a_named_emoji_and_six_buttons_and_the_right_one_joins_once_for_every_giveaway()
    {
        var first = await app.CreateGiveaway();
        var second = await app.CreateGiveaway();
        var tg = Updates.NewUserId();
        await app.Send(Updates.Text(tg, $"/start gw_{first.Id}"));
        var s = await LatestSession(tg);
        Assert.True(CaptchaQuestions.IsEmoji(s));
        var (text, buttons) = await Last(tg);
        var name = GiveawayTexts.CaptchaEmoji.Single(e => e.Emoji == s.Answer).Name.En;
        Assert.Contains($"Press the <b>{name}</b>", text);
        Assert.DoesNotContain(s.Answer, text); // named in words, not shown
        Assert.Equal(6, buttons.Count);
        Assert.Equal(6, buttons.Select(b => b.Label).Distinct().Count());
        Assert.Equal(s.Question.Split(' '), buttons.Select(b => b.Label));
        Assert.Equal(Enumerable.Range(1, 6).Select(i => $"{GiveawayBot.CaptchaPrefix}{s.Id}:{i}"), buttons.Select(b => b.Data));
        Assert.Single(buttons, b => b.Label == s.Answer);

        // Typing is not answering: the buttons again, no attempt spent.
        await app.Send(Updates.Text(tg, s.Answer));
        var retyped = await Last(tg);
        Assert.Contains("press one of the buttons", retyped.Text);
        Assert.Equal(6, retyped.Buttons.Count);
        Assert.Equal(0, (await Session(s.Id)).Attempts);

        await Press(tg, s.Id, RightButton(s));
        var texts = await app.TextsFor(tg);
        Assert.Contains(texts, t => t.Contains("passed the check"));
        Assert.Contains("You are in!", texts.Last());
        Assert.Single(await app.Participants(first.Id));

        await app.Send(Updates.Text(tg, $"/start gw_{second.Id}"));
        Assert.Contains("You are in!", (await Last(tg)).Text);
        Assert.Equal(1, await app.WithDb(db => db.CaptchaSessions.CountAsync(x => x.UserId == s.UserId)));
        // The button pressed again after passing is a spent question, not a second join.
        await Press(tg, s.Id, RightButton(s));
        Assert.Contains("no longer valid", (await Last(tg)).Text);
    }

    [Fact]
    public async Task A_wrong_button_says_how_many_attempts_are_left_and_after_the_third_a_new_question_comes_after_the_cool_down()
    {
        var g = await app.CreateGiveaway();
        var tg = Updates.NewUserId();
        await app.Send(Updates.Text(tg, $"/start gw_{g.Id}", lang: "ru"));
        var s = await LatestSession(tg);
        var ru = GiveawayTexts.CaptchaEmoji.Single(e => e.Emoji == s.Answer).Name.Ru;
        Assert.Contains($"Нажмите на картинку: <b>{ru}</b>", (await Last(tg)).Text);

        await Press(tg, s.Id, WrongButton(s), "ru");
        var wrong = await Last(tg);
        Assert.Contains("Осталось попыток: 2", wrong.Text);
        Assert.Contains($"Нажмите на картинку: <b>{ru}</b>", wrong.Text);
        Assert.Equal(6, wrong.Buttons.Count); // the same keyboard again
        await Press(tg, s.Id, WrongButton(s), "ru");
        Assert.Contains("Осталось попыток: 1", (await Last(tg)).Text);
        await Press(tg, s.Id, WrongButton(s), "ru");
        Assert.Contains("последняя попытка", (await Last(tg)).Text);
        Assert.Equal(3, (await Session(s.Id)).Attempts);
        // The right button now is too late.
        await Press(tg, s.Id, RightButton(s), "ru");
        Assert.Contains("больше не действует", (await Last(tg)).Text);
        Assert.Equal(3, (await Session(s.Id)).Attempts);
        Assert.Empty(await app.Participants(g.Id));

        await PressData(tg, GiveawayBot.CaptchaPrefix + "junk", "ru"); // stray data is refused too
        Assert.Contains("больше не действует", (await Last(tg)).Text);
        await PressData(tg, GiveawayBot.JoinPrefix + g.Id, "ru");
        Assert.Contains("Подождите", (await Last(tg)).Text);
        app.Clock.Advance(TimeSpan.FromSeconds(61));
        await PressData(tg, GiveawayBot.JoinPrefix + g.Id, "ru");
        var fresh = await LatestSession(tg);
        Assert.NotEqual(s.Id, fresh.Id);
        Assert.Contains(fresh.Id, (await Last(tg)).Buttons[0].Data);
        await Press(tg, fresh.Id, RightButton(fresh), "ru");
        Assert.Contains("Вы участвуете!", (await Last(tg)).Text);
    }

    [Fact]
    public async Task An_expired_question_asks_a_new_one_and_the_old_buttons_are_refused_without_spending_an_attempt()
    {
        var g = await app.CreateGiveaway();
        var tg = Updates.NewUserId();
        await app.Send(Updates.Text(tg, $"/start gw_{g.Id}"));
        var old = await LatestSession(tg);
        app.Clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        await Press(tg, old.Id, RightButton(old));
        var asked = await Last(tg);
        Assert.Contains("expired", asked.Text);
        var fresh = await LatestSession(tg);
        Assert.NotEqual(old.Id, fresh.Id);
        Assert.All(asked.Buttons, b => Assert.StartsWith($"{GiveawayBot.CaptchaPrefix}{fresh.Id}:", b.Data));
        Assert.Empty(await app.Participants(g.Id));

        // The old question's right button: refused, and the new question is untouched.
        await Press(tg, old.Id, RightButton(old));
        Assert.Contains("no longer valid", (await Last(tg)).Text);
        Assert.Equal(0, (await Session(fresh.Id)).Attempts);
        Assert.Empty(await app.Participants(g.Id));

        await Press(tg, fresh.Id, RightButton(fresh));
        Assert.Contains("You are in!", (await Last(tg)).Text);
    }

    [Fact]
    public async Task A_button_of_another_users_question_is_refused_and_counts_for_nobody()
    {
        var g = await app.CreateGiveaway();
        var alice = Updates.NewUserId();
        var bob = Updates.NewUserId();
        await app.Send(Updates.Text(alice, $"/start gw_{g.Id}"), Updates.Text(bob, $"/start gw_{g.Id}"));
        var hers = await LatestSession(alice);
        var his = await LatestSession(bob);

        // Bob presses Alice's right answer (a forwarded keyboard, or forged callback data).
        await Press(bob, hers.Id, RightButton(hers));
        Assert.Contains("no longer valid", (await Last(bob)).Text);
        Assert.Equal(0, (await Session(hers.Id)).Attempts);
        Assert.Equal(0, (await Session(his.Id)).Attempts);
        Assert.Null((await Session(hers.Id)).PassedAt);
        Assert.Empty(await app.Participants(g.Id));

        await Press(alice, hers.Id, RightButton(hers));
        Assert.Contains("You are in!", (await Last(alice)).Text);
        Assert.Equal([(await app.UserOf(alice)).Id], (await app.Participants(g.Id)).Select(p => p.UserId));
    }

    [Fact]
    public async Task In_a_group_the_question_the_chat_waits_on_still_counts_only_for_the_user_it_was_asked_of()
    {
        var g = await app.CreateGiveaway();
        var group = -Updates.NewUserId();
        var alice = Updates.NewUserId();
        var bob = Updates.NewUserId();
        await app.Send(Updates.Text(alice, $"/start gw_{g.Id}", chatId: group));
        var hers = await LatestSession(alice);
        Assert.Contains(hers.Id, (await Last(group)).Buttons[0].Data);

        // Bob, in the same chat, presses the right button of the question the chat is waiting on: it is Alice's.
        app.Clock.Advance(TimeSpan.FromSeconds(1.1));
        var press = Updates.Callback(bob, $"{GiveawayBot.CaptchaPrefix}{hers.Id}:{RightButton(hers)}");
        press["callback_query"]!["message"]!["chat"] = Updates.Chat(group, "group");
        await app.Send(press);
        Assert.Contains("no longer valid", (await Last(group)).Text);
        Assert.Equal(0, (await Session(hers.Id)).Attempts);
        Assert.Null((await Session(hers.Id)).PassedAt);
        Assert.Empty(await app.Participants(g.Id));
    }

    [Fact]
    public async Task The_participant_API_gives_the_emoji_as_options_and_takes_the_emoji_or_its_position()
    {
        var g = await app.CreateGiveaway();
        async Task<(HttpStatusCode Status, JsonObject Body)> Call(string path, object body)
        {
            var r = await app.Api(HttpMethod.Post, path, body);
            return (r.StatusCode, await GiveawayAppFactory.Json(r));
        }

        var tg = Updates.NewUserId();
        var asked = await Call("/api/participants/register", new { giveaway_id = g.Id, user_id = tg });
        Assert.True(asked.Body["requires_captcha"]!.GetValue<bool>());
        Assert.Equal("emoji", asked.Body["captcha_kind"]!.GetValue<string>());
        var sessionId = asked.Body["session_id"]!.GetValue<string>();
        var s = await Session(sessionId);
        var options = asked.Body["captcha_options"]!.AsArray().Select(o => o!.GetValue<string>()).ToList();
        Assert.Equal(s.Question.Split(' '), options);
        var name = GiveawayTexts.CaptchaEmoji.Single(e => e.Emoji == s.Answer).Name.En;
        Assert.Equal($"Press the {name}: {string.Join(' ', options)}", asked.Body["captcha_question"]!.GetValue<string>());

        var wrong = await Call("/api/participants/validate-captcha", new { session_id = sessionId, answer = options.First(o => o != s.Answer) });
        Assert.Equal(HttpStatusCode.BadRequest, wrong.Status);
        Assert.Equal("INVALID_ANSWER", wrong.Body["error_code"]!.GetValue<string>());
        Assert.Equal(2, wrong.Body["attempts_left"]!.GetValue<int>());
        var outOfRange = await Call("/api/participants/validate-captcha", new { session_id = sessionId, answer = "7" });
        Assert.Equal(1, outOfRange.Body["attempts_left"]!.GetValue<int>());
        var ok = await Call("/api/participants/validate-captcha", new { session_id = sessionId, answer = RightButton(s).ToString() });
        Assert.Equal(HttpStatusCode.OK, ok.Status);
        Assert.Equal((await app.Participants(g.Id)).Single().Id, ok.Body["participant_id"]!.GetValue<long>());

        // The emoji itself, even with the variation selector some keyboards add; and the arithmetic shape stays for others.
        var other = Updates.NewUserId();
        var second = await Call("/api/participants/register", new { giveaway_id = g.Id, user_id = other });
        var s2 = await Session(second.Body["session_id"]!.GetValue<string>());
        var passed = await Call("/api/participants/validate-captcha", new { session_id = s2.Id, answer = " " + s2.Answer + "\uFE0F" });
        Assert.Equal(HttpStatusCode.OK, passed.Status);
        Assert.Equal(2, (await app.Participants(g.Id)).Count);
    }
}

/// <summary>The questions themselves.</summary>
public sealed class CaptchaQuestionsTests
{
    [Fact]
    public void Emoji_questions_offer_distinct_known_emoji_with_the_answer_among_them_and_arithmetic_stays_the_default()
    {
        Assert.False(new CaptchaOptions().IsEmoji);
        Assert.True(new CaptchaOptions { Kind = " Emoji " }.IsEmoji);
        var answers = new HashSet<string>();
        for (var i = 0; i < 200; i++)
        {
            var (question, answer) = CaptchaQuestions.New(new CaptchaOptions { Kind = "emoji" });
            var options = question.Split(' ');
            Assert.Equal(6, options.Distinct().Count());
            Assert.Contains(answer, options);
            Assert.All(options, o => Assert.Contains(GiveawayTexts.CaptchaEmoji, e => e.Emoji == o));
            answers.Add(answer);
            var s = new CaptchaSession { Id = "x", Question = question, Answer = answer };
            Assert.True(CaptchaQuestions.IsEmoji(s));
            Assert.Equal(answer, CaptchaQuestions.Normalize(s, (Array.IndexOf(options, answer) + 1).ToString()));
            Assert.Equal("0", CaptchaQuestions.Normalize(s, "0"));
        }
        Assert.True(answers.Count > 10); // the answer is not always the same emoji
        Assert.Equal(3, CaptchaQuestions.New(new CaptchaOptions { Kind = "emoji", EmojiButtons = 1 }).Question.Split(' ').Length);

        var (q, a) = CaptchaQuestions.New(new CaptchaOptions());
        var arithmetic = new CaptchaSession { Id = "y", Question = q, Answer = a };
        Assert.False(CaptchaQuestions.IsEmoji(arithmetic));
        Assert.Equal(q + " = ?", CaptchaQuestions.Prompt(arithmetic));
        Assert.Equal(a, CaptchaQuestions.Normalize(arithmetic, " " + a + " "));
        Assert.Empty(CaptchaQuestions.Options(arithmetic));
    }
}
