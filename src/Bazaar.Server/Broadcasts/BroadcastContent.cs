using System.Text.Json;
using System.Text.RegularExpressions;
using Bazaar.Server.Channels;
using Telegram.Bot.Requests;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace Bazaar.Server.Broadcasts;

/// <summary>
/// What a broadcast says and how it becomes a Bot API call. Checked before anything is sent: a mistake Telegram would
/// refuse (a 400) would otherwise fail once per recipient.
/// </summary>
public static partial class BroadcastContent
{
    public const int MaxText = 4096;
    public const int MaxCaption = 1024;
    private static readonly HashSet<string> Tags = new(StringComparer.OrdinalIgnoreCase)
        { "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "tg-spoiler", "span", "blockquote", "tg-emoji" };

    [GeneratedRegex(@"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>")]
    private static partial Regex Tag();

    /// <summary>Null when it can be sent, else (code, detail).</summary>
    public static (string Code, string Detail)? Check(string? text, string? photo, IReadOnlyList<IReadOnlyList<BroadcastButton>>? buttons)
    {
        if (string.IsNullOrWhiteSpace(text)) return ("text_required", "\"text\" is required (Telegram HTML).");
        var visible = Tag().Replace(text, "").Length;
        if (photo is null && visible > MaxText) return ("text_too_long", $"A message may have at most {MaxText} characters.");
        if (photo is not null && visible > MaxCaption) return ("caption_too_long", $"A photo's caption may have at most {MaxCaption} characters.");
        if (photo is not null && (photo.Length > 1024 || (photo.Contains("://") && !IsHttpUrl(photo))))
            return ("invalid_photo", "\"photo\" must be a Telegram file_id or an http(s) URL.");
        if (HtmlError(text) is { } html) return ("invalid_html", html);
        if (buttons is not null)
        {
            if (buttons.Count > 10 || buttons.Any(r => r.Count is 0 or > 8)) return ("invalid_buttons", "At most 10 rows of 1 to 8 buttons.");
            foreach (var b in buttons.SelectMany(r => r))
            {
                if (string.IsNullOrWhiteSpace(b.Text) || b.Text.Length > 64) return ("invalid_buttons", "Each button needs a text of 1 to 64 characters.");
                if (!IsHttpUrl(b.Url) && !(b.Url?.StartsWith("tg://", StringComparison.Ordinal) ?? false))
                    return ("invalid_buttons", $"The button \"{b.Text}\" needs an http(s) or tg:// URL.");
            }
        }
        return null;
    }

    private static bool IsHttpUrl(string? s) =>
        Uri.TryCreate(s, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttps || u.Scheme == Uri.UriSchemeHttp);

    /// <summary>Telegram HTML: only its tags, properly nested.</summary>
    private static string? HtmlError(string text)
    {
        var open = new Stack<string>();
        foreach (Match m in Tag().Matches(text))
        {
            var name = m.Groups[2].Value.ToLowerInvariant();
            if (!Tags.Contains(name)) return $"<{name}> is not a tag Telegram accepts (b, i, u, s, a, code, pre, blockquote, tg-spoiler).";
            if (m.Groups[1].Value == "/")
            {
                if (open.Count == 0 || open.Pop() != name) return $"</{name}> closes a tag that is not open.";
            }
            else open.Push(name);
        }
        return open.Count > 0 ? $"<{open.Peek()}> is never closed." : null;
    }

    public static string? ButtonsJson(IReadOnlyList<IReadOnlyList<BroadcastButton>>? rows) =>
        rows is null || rows.Count == 0 ? null : JsonSerializer.Serialize(rows, JsonSerializerOptions.Web);

    /// <summary>Enqueues the broadcast for one chat. A test copy goes as a plain reply (not paid, not in the broadcast lane).</summary>
    public static OutboxMessage Enqueue(Outbox outbox, Broadcast b, ChatTarget to, bool test = false)
    {
        var rows = b.ButtonRows();
        InlineKeyboardMarkup? keyboard = rows.Count == 0 ? null
            : new InlineKeyboardMarkup(rows.Select(r => r.Select(x => InlineKeyboardButton.WithUrl(x.Text, x.Url)).ToArray()).ToArray());
        var chat = long.TryParse(to.ChatId, out var id) ? new ChatId(id) : new ChatId(to.ChatId);
        var paid = b.AllowPaidBroadcast && !test;
        var m = b.Photo is { } photo
            ? outbox.Enqueue(to, new SendPhotoRequest
            {
                ChatId = chat, Photo = InputFile.FromString(photo), Caption = b.Text, ParseMode = ParseMode.Html, ReplyMarkup = keyboard,
                AllowPaidBroadcast = paid,
            })
            : outbox.Enqueue(to, new SendMessageRequest
            {
                ChatId = chat, Text = b.Text, ParseMode = ParseMode.Html, ReplyMarkup = keyboard, AllowPaidBroadcast = paid,
            });
        m.Lane = test ? null : paid ? OutboxLanes.PaidBroadcast : OutboxLanes.Broadcast;
        return m;
    }
}
