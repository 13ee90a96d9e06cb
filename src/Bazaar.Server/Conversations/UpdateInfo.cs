using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace Bazaar.Server.Conversations;

/// <summary>What the inbox and the event log need to know about an update, read once from it.</summary>
public readonly record struct UpdateInfo(string Kind, string? UserId, string? ChatId, string? Command, bool Handled)
{
    public static UpdateInfo Of(Update u)
    {
        switch (u.Type)
        {
            case UpdateType.Message:
                return new("message", u.Message!.From?.Id.ToString(), u.Message.Chat.Id.ToString(), CommandOf(u.Message.Text), true);
            case UpdateType.EditedMessage:
                return new("edited_message", u.EditedMessage!.From?.Id.ToString(), u.EditedMessage.Chat.Id.ToString(), null, true);
            case UpdateType.CallbackQuery:
                var cq = u.CallbackQuery!;
                return new("callback_query", cq.From.Id.ToString(), (cq.Message?.Chat.Id ?? cq.From.Id).ToString(), null, true);
            case UpdateType.PreCheckoutQuery:
                var pq = u.PreCheckoutQuery!;
                return new("pre_checkout_query", pq.From.Id.ToString(), pq.From.Id.ToString(), null, true);
            case UpdateType.MyChatMember:
                var m = u.MyChatMember!;
                return new("my_chat_member", m.From.Id.ToString(), m.Chat.Id.ToString(), null, true);
            default:
                return new(SnakeCase(u.Type.ToString()), null, null, null, false);
        }
    }

    /// <summary>"/Wallet@MyBot args" => "wallet"; null when the text is not a command.</summary>
    public static string? CommandOf(string? text)
    {
        if (text is not { Length: > 1 } || text[0] != '/') return null;
        var end = text.AsSpan(1).IndexOfAny(' ', '@', '\n');
        var name = end < 0 ? text[1..] : text.Substring(1, end);
        if (name.Length is 0 or > 32) return null;
        return name.ToLowerInvariant();
    }

    private static string SnakeCase(string name)
    {
        var sb = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }
}
