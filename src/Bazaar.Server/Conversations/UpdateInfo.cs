using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace Bazaar.Server.Conversations;

/// <summary>
/// What the pipeline needs to know about an update, read once from it when it arrives and carried with it:
/// its kind, sender, chat and command. <see cref="Problem"/> says why a structurally odd update (a message
/// without a chat, a button press without a sender) is not handled; such an update is stored as ignored.
/// </summary>
public readonly record struct UpdateInfo(string Kind, string? UserId, string? ChatId, string? Command, bool Handled,
    User? From = null, string? Problem = null)
{
    public static UpdateInfo Of(Update u)
    {
        switch (u.Type)
        {
            case UpdateType.Message:
                return OfMessage("message", u.Message!, CommandOf(u.Message!.Text));
            case UpdateType.EditedMessage:
                return OfMessage("edited_message", u.EditedMessage!, null);
            case UpdateType.CallbackQuery:
                var cq = u.CallbackQuery!;
                if (cq.From is null) return Odd("callback_query", "The callback query has no \"from\".");
                return new("callback_query", cq.From.Id.ToString(), (cq.Message?.Chat?.Id ?? cq.From.Id).ToString(), null, true, cq.From);
            case UpdateType.PreCheckoutQuery:
                var pq = u.PreCheckoutQuery!;
                if (pq.From is null) return Odd("pre_checkout_query", "The pre-checkout query has no \"from\".");
                return new("pre_checkout_query", pq.From.Id.ToString(), pq.From.Id.ToString(), null, true, pq.From);
            case UpdateType.MyChatMember:
                var m = u.MyChatMember!;
                if (m.Chat is null || m.From is null || m.NewChatMember is null)
                    return Odd("my_chat_member", "The chat member update has no \"chat\", \"from\" or \"new_chat_member\".");
                return new("my_chat_member", m.From.Id.ToString(), m.Chat.Id.ToString(), null, true, m.From);
            default:
                return new(SnakeCase(u.Type.ToString()), null, null, null, false);
        }
    }

    private static UpdateInfo OfMessage(string kind, Message m, string? command) =>
        m.Chat is null
            ? Odd(kind, "The message has no \"chat\".")
            : new(kind, m.From?.Id.ToString(), m.Chat.Id.ToString(), command, true, m.From);

    private static UpdateInfo Odd(string kind, string problem) => new(kind, null, null, null, false, null, problem);

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
