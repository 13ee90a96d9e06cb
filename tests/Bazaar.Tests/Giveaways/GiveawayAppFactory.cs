using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Bazaar.Server.Channels;
using Bazaar.Server.Data;
using Bazaar.Server.Giveaways;
using Bazaar.Server.Jobs;
using Bazaar.Tests.Fakes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Giveaways;

/// <summary>The bot on the fake Bot API, with the jobs stepped by the test, and giveaway helpers.</summary>
public sealed class GiveawayAppFactory : BotAppFactory
{
    public override async Task InitializeAsync()
    {
        With("Giveaways:CaptchaCooldownSeconds", "60");
        await base.InitializeAsync();
    }

    public JobRunner JobRunner => Services.GetRequiredService<JobRunner>();

    public async Task<int> RunJobs()
    {
        var n = 0;
        while (await JobRunner.RunOnceAsync("test-worker", CancellationToken.None) is not null) n++;
        return n;
    }

    public async Task SendOutbox(int rounds = 5)
    {
        for (var i = 0; i < rounds; i++)
        {
            await Services.GetRequiredService<OutboxSender>().RunOnceAsync(CancellationToken.None);
            Clock.Advance(TimeSpan.FromSeconds(2));
        }
    }

    public async Task<Giveaway> CreateGiveaway(Action<Giveaway>? tweak = null, params string[] channels)
    {
        var now = Clock.GetUtcNow().UtcDateTime;
        var g = GiveawayApi.New(new GiveawayApi.GiveawayRequest("Test giveaway", "desc", "A prize", 2, now.AddMinutes(-5), now.AddHours(1),
            RequiredChannels: channels.Select(c => new GiveawayApi.ChannelRequest(c, "Channel " + c, "https://t.me/" + c.TrimStart('@'))).ToList()), now);
        g.Status = GiveawayStatus.Published;
        tweak?.Invoke(g);
        await WithDb(async db => { db.Giveaways.Add(g); await db.SaveChangesAsync(); });
        return g;
    }

    public Task<ChatUser> UserOf(long telegramId) =>
        WithDb(db => db.Users.AsNoTracking().SingleAsync(u => u.Channel == ChatChannel.Telegram && u.ExternalId == telegramId.ToString()));

    /// <summary>A Telegram user who already passed the captcha (created as the bot would, by a first /start).</summary>
    public async Task<long> HumanUser()
    {
        var tg = Updates.NewUserId();
        await Send(Updates.Text(tg, "/start"));
        var user = await UserOf(tg);
        await WithDb(async db =>
        {
            db.GiveawayUserRecords.Add(new GiveawayUserRecord { UserId = user.Id, CaptchaCompletedAt = Clock.GetUtcNow().UtcDateTime });
            await db.SaveChangesAsync();
        });
        return tg;
    }

    public Task<List<GiveawayParticipant>> Participants(long giveawayId) =>
        WithDb(db => db.GiveawayParticipants.AsNoTracking().Where(p => p.GiveawayId == giveawayId).ToListAsync());

    public async Task<string> LastText(long chatId) => (await TextsFor(chatId)).Last();

    public Task<HttpResponseMessage> Api(HttpMethod method, string path, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = body is string s ? new StringContent(s, System.Text.Encoding.UTF8, "application/json") : JsonContent.Create(body);
        return AdminClient().SendAsync(request);
    }

    public static async Task<JsonObject> Json(HttpResponseMessage r) => JsonNode.Parse(await r.Content.ReadAsStringAsync())!.AsObject();

    /// <summary>Makes getChatMember answer a status per user id (Telegram's JSON); others are members.</summary>
    public void Members(Func<long, string> statusOf) => Members((_, uid) => statusOf(uid));

    /// <summary>The bot's own Telegram id (the number before the token's colon): getChatMember with it asks whether the bot is an admin.</summary>
    public const long BotId = 123456;

    /// <summary>
    /// Makes getChatMember answer a status per chat and user id (Telegram's JSON); "administrator_no_post" is an
    /// administrator without can_post_messages.
    /// </summary>
    public void Members(Func<string, long, string> statusOf) => AnswerMembers(Bot, statusOf);

    /// <summary><see cref="Members(Func{string, long, string})"/> for any fake Bot API (other features' test hosts).</summary>
    public static void AnswerMembers(FakeBotApi bot, Func<string, long, string> statusOf) => bot.AnswerWith("getChatMember", call =>
    {
        var uid = long.Parse(call.Parameters["user_id"]!.ToString());
        var status = statusOf(call.Parameters["chat_id"]!.ToString(), uid);
        var noPost = status == "administrator_no_post";
        if (noPost) status = "administrator";
        var o = new JsonObject
        {
            ["status"] = status == "restricted_left" ? "restricted" : status,
            ["user"] = new JsonObject { ["id"] = uid, ["is_bot"] = false, ["first_name"] = "U" },
        };
        if (status is "restricted" or "restricted_left")
        {
            o["is_member"] = status == "restricted";
            o["until_date"] = 0;
            foreach (var p in new[] { "can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos", "can_send_videos", "can_send_video_notes",
                         "can_send_voice_notes", "can_send_polls", "can_send_other_messages", "can_add_web_page_previews", "can_change_info",
                         "can_invite_users", "can_pin_messages", "can_manage_topics" })
                o[p] = false;
        }
        if (status == "kicked") o["until_date"] = 0;
        if (status == "administrator")
        {
            o["can_be_edited"] = false;
            foreach (var p in new[] { "is_anonymous", "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
                         "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories", "can_delete_stories" })
                o[p] = false;
        }
        if (status == "administrator") o["can_post_messages"] = !noPost;
        if (status == "creator") o["is_anonymous"] = false;
        return o;
    });
}
