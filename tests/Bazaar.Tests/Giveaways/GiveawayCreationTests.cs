using System.Text.Json.Nodes;
using Bazaar.Server.Conversations;
using Bazaar.Server.Giveaways;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Giveaways;

/// <summary>/newgiveaway: the admins' conversation against the fake Bot API, each step's bad input, admin checks in a job.</summary>
public sealed class GiveawayCreationTests : IAsyncLifetime
{
    private readonly GiveawayAppFactory app = new();
    public Task InitializeAsync() => app.InitializeAsync();
    public async Task DisposeAsync() => await ((IAsyncLifetime)app).DisposeAsync();

    private const long Admin = BotAppFactory.AdminUserId;

    private async Task Say(string text, string lang = "en") => await app.Send(Updates.Text(Admin, text, lang: lang));
    private async Task Press(string data, string lang = "en")
    {
        var update = Updates.Callback(Admin, GiveawayCreation.Prefix + data);
        update["callback_query"]!["from"]!["language_code"] = lang;
        await app.Send(update);
    }
    private Task<string> Last() => app.LastText(Admin);

    private Task<ConversationState?> State() =>
        app.WithDb(db => db.ConversationStates.AsNoTracking().FirstOrDefaultAsync(s => s.ChatId == Admin.ToString()));

    /// <summary>The bot is an admin (may post) in the chats given; a member elsewhere.</summary>
    private void BotAdminIn(params string[] chats) =>
        app.Members((chat, uid) => uid == GiveawayAppFactory.BotId && chats.Contains(chat) ? "administrator" : "member");

    [Fact]
    public async Task An_admin_creates_and_publishes_a_giveaway_step_by_step_with_every_bad_answer_retried()
    {
        await Say("/newgiveaway");
        Assert.Contains("New giveaway", await Last());

        await Say(new string('x', 201));
        Assert.Contains("1 to 200 characters", await Last());
        await Say("Winter <giveaway>");
        Assert.Contains("2/10", await Last());

        await Say(new string('d', 4001));
        Assert.Contains("at most 4000 characters (4001 sent)", await Last());
        await Say("Win a sled & more");
        Assert.Contains("3/10", await Last());

        await Press("skip"); // a button where a prize is expected
        Assert.Contains("Describe the prize", await Last());
        await Say("A wooden sled");
        Assert.Contains("4/10", await Last());

        await Say("not a link");
        Assert.Contains("https:// link", await Last());
        await Say("http://insecure.example/p.jpg");
        Assert.Contains("https:// link", await Last());
        await app.Send(Updates.Photo(Admin));
        Assert.Contains("5/10", await Last());

        foreach (var bad in new[] { "0", "three", "10001", "-2" })
        {
            await Say(bad);
            Assert.Contains("from 1 to 10000", await Last());
        }
        await Say("3");
        Assert.Contains("6/10", await Last());

        await Say("@news news!");
        Assert.Contains("I do not understand “news!”", await Last());
        BotAdminIn("@news");
        await Say("@news -100777");
        Assert.Contains("Checking that I am an admin in: @news, -100777", await Last());
        Assert.Empty(app.Bot.CallsOf("getChatMember")); // not from inside the update's transaction
        await Say("hello?");
        Assert.Contains("Still checking", await Last());
        await app.RunJobs();
        var asked = app.Bot.CallsOf("getChatMember").ToList();
        Assert.Equal(2, asked.Count);
        Assert.All(asked, c => Assert.Equal(GiveawayAppFactory.BotId.ToString(), c.Str("user_id")));
        Assert.Contains("I am not an admin in: Chat -100777", await Last());
        Assert.Equal(GiveawayCreation.ChannelsStep, (await State())!.Step);

        await Say("https://t.me/news");
        await app.RunJobs();
        var texts = await app.TextsFor(Admin);
        Assert.Contains("I am an admin in: Chat @news", texts[^2]);
        Assert.Contains("7/10", texts[^1]);

        await Say("yesterday");
        Assert.Contains("I do not understand “yesterday”", await Last());
        await Say("2020-01-01 10:00");
        Assert.Contains("2020-01-01 10:00 UTC has passed", await Last());
        await Press("now");
        Assert.Contains("8/10", await Last());
        var now = app.Clock.GetUtcNow().UtcDateTime;

        await Say("2020-01-01 10:00");
        Assert.Contains("must be after the start", await Last());
        await Say("0d");
        Assert.Contains("I do not understand", await Last());
        await Say("7d");
        Assert.Contains("9/10", await Last());

        await Say("2");
        Assert.Contains("at least the number of winners (3)", await Last());
        await Say("many");
        Assert.Contains("at least the number of winners", await Last());
        await Say("100");
        Assert.Contains("10/10", await Last());

        await Say("@one @two");
        Assert.Contains("Send one channel", await Last());
        app.Members((chat, uid) => uid == GiveawayAppFactory.BotId && chat == "@gw_posts" ? "administrator_no_post" : "member");
        await Say("@gw_posts");
        await app.RunJobs();
        Assert.Contains("I cannot post in Chat @gw_posts", await Last());
        BotAdminIn("@gw_posts");
        await Say("@gw_posts");
        await app.RunJobs();
        var summary = await Last();
        Assert.Contains("Winter &lt;giveaway&gt;", summary);
        Assert.Contains("Win a sled &amp; more", summary);
        Assert.Contains("Winners: 3", summary);
        Assert.Contains("Required: Chat @news", summary);
        Assert.Contains("at the end time or at 100 participants", summary);
        Assert.Contains("Post in: Chat @gw_posts", summary);
        Assert.Empty(await app.WithDb(db => db.Giveaways.ToListAsync()));

        await Press("publish");
        var done = await Last();
        Assert.Contains("is published in Chat @gw_posts", done);
        Assert.Contains("https://t.me/bazaar_test_bot?start=gw_", done);
        Assert.Null(await State());

        var g = await app.WithDb(db => db.Giveaways.Include(x => x.RequiredChannels).AsNoTracking().SingleAsync());
        Assert.Equal(("Winter <giveaway>", "Win a sled & more", "A wooden sled", "AgAD-photo", 3), (g.Title, g.Description, g.Prize, g.PhotoUrl, g.WinnerCount));
        Assert.Equal(GiveawayStatus.Published, g.Status);
        Assert.Equal(now, g.StartsAt);
        Assert.Equal(now.AddDays(7), g.EndsAt);
        Assert.Equal(100, g.EndAfterParticipants);
        var channel = Assert.Single(g.RequiredChannels);
        Assert.Equal(("@news", "Chat @news", "https://t.me/news"), (channel.ChatId, channel.Title, channel.Link));
        Assert.Contains(g.Commitment, done);

        // The post: a photo with the Join button, in the channel.
        var post = await app.WithDb(db => db.Outbox.AsNoTracking().SingleAsync(m => m.ChatId == "@gw_posts"));
        Assert.Equal("sendPhoto", post.Method);
        var payload = JsonNode.Parse(post.Payload)!;
        Assert.Contains(GiveawayBot.JoinPrefix + g.Id, payload["reply_markup"]!.ToJsonString());
        Assert.Contains(g.Commitment, payload["caption"]!.GetValue<string>());

        // Publishing again after it is done creates nothing more.
        await Press("publish");
        Assert.Contains("no giveaway being prepared", await Last());
        Assert.Equal(1, await app.WithDb(db => db.Giveaways.CountAsync()));

        // And people can join it.
        var user = await app.HumanUser();
        app.Members(_ => "member");
        await app.Send(Updates.Text(user, $"/start gw_{g.Id}"));
        await app.RunJobs();
        Assert.Contains("You are in!", await app.LastText(user));
    }

    [Fact]
    public async Task Without_channels_the_conversation_goes_on_at_once_and_answers_in_Russian()
    {
        await Say("/newgiveaway", "ru");
        Assert.Contains("Новый розыгрыш", await Last());
        await Say("Розыгрыш", "ru");
        await Say("пропустить", "ru");
        await Say("Книга", "ru");
        await Say("пропустить", "ru");
        await Say("много", "ru");
        Assert.Contains("Число победителей — целое число", await Last());
        await Say("1", "ru");
        await Say("нет", "ru");
        var texts = await app.TextsFor(Admin);
        Assert.Contains("Без обязательных каналов", texts[^2]);
        Assert.Contains("7/10", texts[^1]);
        Assert.Empty(app.Bot.CallsOf("getChatMember"));
        await Say("сейчас", "ru");
        await Say("завтра", "ru");
        Assert.Contains("Не понимаю «завтра»", await Last());
        await Say("12h", "ru");
        await Say("0", "ru");
        Assert.Contains("10/10", await Last());
        BotAdminIn("-1001234");
        await Say("-1001234", "ru");
        await app.RunJobs();
        Assert.Contains("Публикуем?", await Last());
        Assert.Contains("Обязательные: нет", await Last());

        // The end passed while the admin waited: back to the end time.
        app.Clock.Advance(TimeSpan.FromHours(13));
        await Press("publish", "ru");
        Assert.Contains("уже прошло", await Last());
        Assert.Equal(GiveawayCreation.EndStep, (await State())!.Step);
        await Say("2d", "ru");
        await Say("0", "ru");
        await Say("-1001234", "ru");
        await app.RunJobs();
        await Press("publish", "ru");
        Assert.Contains("опубликован", await Last());
        var g = await app.WithDb(db => db.Giveaways.AsNoTracking().SingleAsync());
        Assert.Null(g.PhotoUrl);
        Assert.Equal("", g.Description);
        Assert.Null(g.EndAfterParticipants);
        var post = await app.WithDb(db => db.Outbox.AsNoTracking().SingleAsync(m => m.ChatId == "-1001234"));
        Assert.Equal("sendMessage", post.Method);
    }

    [Fact]
    public async Task Only_admins_may_create_and_their_buttons_do_nothing_for_others()
    {
        var stranger = Updates.NewUserId();
        await app.Send(Updates.Text(stranger, "/newgiveaway"));
        Assert.Contains("I don't know", (await app.TextsFor(stranger)).Last(), StringComparison.OrdinalIgnoreCase);
        Assert.Null(await app.WithDb(db => db.ConversationStates.AsNoTracking().FirstOrDefaultAsync(s => s.ChatId == stranger.ToString())));
        await app.Send(Updates.Callback(stranger, GiveawayCreation.Prefix + "publish"));
        Assert.Single(await app.TextsFor(stranger));
        Assert.Equal(0, await app.WithDb(db => db.Giveaways.CountAsync()));
    }

    [Fact]
    public async Task Cancel_discards_the_draft_and_a_late_admin_check_changes_nothing()
    {
        await Say("/newgiveaway");
        await Say("T");
        await Say("skip");
        await Say("P");
        await Press("skip");
        await Say("1");
        BotAdminIn("@news");
        await Say("@news");
        await Say("/cancel");
        Assert.Null(await State());
        var before = (await app.TextsFor(Admin)).Count;
        await app.RunJobs();
        Assert.Equal(before, (await app.TextsFor(Admin)).Count);
        Assert.Null(await State());

        await Say("/newgiveaway");
        await Press("cancel");
        Assert.Contains("discarded", await Last());
        Assert.Null(await State());
    }

    [Fact]
    public async Task When_Telegram_keeps_failing_the_admin_is_asked_for_the_chats_again()
    {
        await Say("/newgiveaway");
        await Say("T");
        await Say("skip");
        await Say("P");
        await Press("skip");
        await Say("1");
        app.Bot.FailNext("getChatMember", 502, "Bad Gateway", times: 3);
        await Say("@news");
        for (var i = 0; i < 4; i++)
        {
            await app.RunJobs();
            app.Clock.Advance(TimeSpan.FromMinutes(10));
        }
        Assert.Contains("Telegram did not answer", await Last());
        Assert.Equal(GiveawayCreation.ChannelsStep, (await State())!.Step);

        // A chat the bot cannot see (400 chat not found) is not an admin chat.
        app.Bot.FailNext("getChatMember", 400, "Bad Request: chat not found");
        await Say("@nowhere");
        await app.RunJobs();
        Assert.Contains("I am not an admin in: @nowhere", await Last());
    }
}
