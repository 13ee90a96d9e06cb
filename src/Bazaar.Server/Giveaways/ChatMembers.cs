using System.Text.Json;
using System.Text.Json.Nodes;
using Bazaar.Server.Data;
using Microsoft.Extensions.Options;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;

namespace Bazaar.Server.Giveaways;

/// <summary>A required channel the user is not subscribed to.</summary>
public sealed record MissingChannel(string ChatId, string Title, string? Link, string Status);

/// <summary>What the bot is in a chat: its title and link, and whether it is an admin there (and may post, for channels).</summary>
public sealed record BotChatStatus(string ChatId, string Title, string? Link, bool IsAdmin, bool CanPost, string Status);

/// <summary>
/// Asks getChatMember whether a user is subscribed. Calls out, so it runs in jobs and HTTP requests, never inside
/// an update's transaction. Sandbox users are answered from Giveaways:SandboxChatMembers in the Bot API's own shape.
/// </summary>
public sealed class ChatMembers(ITelegramBotClient bot, IOptions<GiveawayOptions> options, IOptions<Channels.Telegram.TelegramOptions> telegram)
{
    /// <summary>member, administrator and creator count; restricted only with is_member; left and kicked do not.</summary>
    public static bool IsSubscribed(ChatMember m) => m switch
    {
        ChatMemberOwner or ChatMemberAdministrator or ChatMemberMember => true,
        ChatMemberRestricted r => r.IsMember,
        _ => false,
    };

    public async Task<ChatMember> GetAsync(ChatUser user, string chatId, CancellationToken ct)
    {
        if (user.Channel == ChatChannel.Sandbox) return SandboxMember(user, chatId);
        var chat = long.TryParse(chatId, out var id) ? new ChatId(id) : new ChatId(chatId);
        try
        {
            return await bot.GetChatMember(chat, long.Parse(user.ExternalId, System.Globalization.CultureInfo.InvariantCulture), ct);
        }
        catch (ApiRequestException e) when (e.ErrorCode == 400 && e.Message.Contains("user not found", StringComparison.OrdinalIgnoreCase))
        {
            return new ChatMemberLeft { User = new User { Id = long.Parse(user.ExternalId, System.Globalization.CultureInfo.InvariantCulture), FirstName = "" } };
        }
    }

    /// <summary>The required channels the user is not subscribed to (empty: all good).</summary>
    public async Task<List<MissingChannel>> MissingAsync(ChatUser user, IEnumerable<GiveawayChannel> channels, CancellationToken ct)
    {
        var missing = new List<MissingChannel>();
        foreach (var c in channels)
        {
            var m = await GetAsync(user, c.ChatId, ct);
            if (!IsSubscribed(m)) missing.Add(new MissingChannel(c.ChatId, c.Title, c.Link, StatusOf(m)));
        }
        return missing;
    }

    /// <summary>
    /// The bot's own membership of a chat (getChatMember with the bot's id) and the chat's title (getChat). A chat the
    /// bot cannot see answers 400/403: it is reported as "not_found", not thrown. Sandbox chats answer from
    /// Giveaways:SandboxChatMembers[chat]["bot"] (default administrator).
    /// </summary>
    public async Task<BotChatStatus> BotStatusAsync(string channel, string chatId, CancellationToken ct)
    {
        var link = chatId.StartsWith('@') ? "https://t.me/" + chatId[1..] : null;
        if (channel == ChatChannel.Sandbox)
        {
            var s = options.Value.SandboxChatMembers.GetValueOrDefault(chatId)?.GetValueOrDefault("bot") ?? "administrator";
            var admin = s is "administrator" or "creator";
            return new BotChatStatus(chatId, chatId, link, admin, admin, s);
        }
        var chat = long.TryParse(chatId, out var id) ? new ChatId(id) : new ChatId(chatId);
        ChatMember m;
        try
        {
            m = await bot.GetChatMember(chat, bot.BotId, ct);
        }
        catch (ApiRequestException e) when (e.ErrorCode is 400 or 403)
        {
            return new BotChatStatus(chatId, chatId, link, false, false, "not_found");
        }
        var title = chatId;
        var isChannel = false;
        try
        {
            var info = await bot.GetChat(chat, ct);
            isChannel = info.Type == Telegram.Bot.Types.Enums.ChatType.Channel;
            title = string.IsNullOrWhiteSpace(info.Title) ? chatId : info.Title;
            if (info.Username is { Length: > 0 } u) link = "https://t.me/" + u;
        }
        catch (ApiRequestException) { } // the title is a nicety; the membership above is what counts
        var isAdmin = m is ChatMemberOwner or ChatMemberAdministrator;
        // In a channel an administrator needs can_post_messages to post; in groups the flag is absent.
        var canPost = m is ChatMemberOwner || m is ChatMemberAdministrator a && (!isChannel || a.CanPostMessages);
        return new BotChatStatus(chatId, title, link, isAdmin, canPost, StatusOf(m));
    }

    /// <summary>The bot's status in each chat, asked one after another (calls out: never inside a transaction).</summary>
    public async Task<List<BotChatStatus>> BotStatusesAsync(string channel, IEnumerable<string> chatIds, CancellationToken ct)
    {
        var found = new List<BotChatStatus>();
        foreach (var chat in chatIds) found.Add(await BotStatusAsync(channel, chat, ct));
        return found;
    }

    /// <summary>
    /// The chats, of those an operator named as required, where the bot is not an admin (so could not check
    /// participants there). Asked of Telegram; a server without a bot token (the sandbox alone) has the sandbox answer.
    /// Telegram failing (not a 400/403 about the chat) throws, for the caller to answer "try again".
    /// </summary>
    public async Task<List<BotChatStatus>> NotAdminInAsync(IEnumerable<string> chatIds, CancellationToken ct)
    {
        var channel = string.IsNullOrWhiteSpace(telegram.Value.BotToken) ? ChatChannel.Sandbox : ChatChannel.Telegram;
        var chats = chatIds.Select(c => c.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        return (await BotStatusesAsync(channel, chats, ct)).Where(s => !s.IsAdmin).ToList();
    }

    public static string StatusOf(ChatMember m) => m switch
    {
        ChatMemberOwner => "creator",
        ChatMemberAdministrator => "administrator",
        ChatMemberMember => "member",
        ChatMemberRestricted => "restricted",
        ChatMemberBanned => "kicked",
        _ => "left",
    };

    private ChatMember SandboxMember(ChatUser user, string chatId)
    {
        var status = "member";
        if (options.Value.SandboxChatMembers.TryGetValue(chatId, out var users))
            status = users.GetValueOrDefault(user.ExternalId) ?? users.GetValueOrDefault("default") ?? "member";
        var json = new JsonObject
        {
            ["status"] = status == "restricted_left" ? "restricted" : status,
            ["user"] = new JsonObject { ["id"] = long.TryParse(user.ExternalId, out var uid) ? uid : 0, ["is_bot"] = false, ["first_name"] = user.FirstName ?? "User" },
        };
        if (status is "restricted" or "restricted_left")
        {
            json["is_member"] = status == "restricted";
            json["until_date"] = 0;
            foreach (var p in new[] { "can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos", "can_send_videos",
                         "can_send_video_notes", "can_send_voice_notes", "can_send_polls", "can_send_other_messages", "can_add_web_page_previews",
                         "can_change_info", "can_invite_users", "can_pin_messages", "can_manage_topics" })
                json[p] = false;
        }
        if (status == "kicked") json["until_date"] = 0;
        return JsonSerializer.Deserialize<ChatMember>(json.ToJsonString(), JsonBotAPI.Options)!;
    }
}
