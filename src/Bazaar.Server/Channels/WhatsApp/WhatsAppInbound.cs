using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bazaar.Server.Conversations;
using Telegram.Bot;
using Telegram.Bot.Types;

namespace Bazaar.Server.Channels.WhatsApp;

/// <summary>One message of a Cloud API webhook, with its sender's profile.</summary>
public sealed record WhatsAppMessage(string WaMessageId, string From, string? ProfileName, string PhoneNumberId, JsonElement Message);

/// <summary>One delivery status callback (sent, delivered, read, failed) about a message we sent.</summary>
public sealed record WhatsAppStatus(string WaMessageId, string Status, string? RecipientId, string? Error);

/// <summary>
/// Reads the Cloud API webhook payload (entry → changes → value → messages, statuses, contacts) and turns a message
/// into the pipeline's update, so WhatsApp goes through the same inbox, routing and outbox as Telegram: text is a
/// message (a word that names a command, e.g. "raffles", is that command; "menu" is /start), a reply button or list
/// row is a button press with its id as the callback data, an image a photo and a document a document (the media id
/// as the file id).
/// </summary>
public static class WhatsAppInbound
{
    public static (List<WhatsAppMessage> Messages, List<WhatsAppStatus> Statuses) Parse(JsonElement root)
    {
        var messages = new List<WhatsAppMessage>();
        var statuses = new List<WhatsAppStatus>();
        if (!root.TryGetProperty("entry", out var entries) || entries.ValueKind != JsonValueKind.Array) return (messages, statuses);
        foreach (var entry in entries.EnumerateArray())
        {
            if (!entry.TryGetProperty("changes", out var changes) || changes.ValueKind != JsonValueKind.Array) continue;
            foreach (var change in changes.EnumerateArray())
            {
                if (!change.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.Object) continue;
                var phoneId = value.TryGetProperty("metadata", out var md) && md.TryGetProperty("phone_number_id", out var pid) ? pid.GetString() ?? "" : "";
                var names = new Dictionary<string, string?>();
                if (value.TryGetProperty("contacts", out var contacts) && contacts.ValueKind == JsonValueKind.Array)
                    foreach (var c in contacts.EnumerateArray())
                        if (Str(c, "wa_id") is { } wa)
                            names[wa] = c.TryGetProperty("profile", out var prof) ? Str(prof, "name") : null;
                if (value.TryGetProperty("messages", out var ms) && ms.ValueKind == JsonValueKind.Array)
                    foreach (var m in ms.EnumerateArray())
                        if (Str(m, "id") is { } id && Str(m, "from") is { } from)
                            messages.Add(new WhatsAppMessage(id, from, names.GetValueOrDefault(from), phoneId, m.Clone()));
                if (value.TryGetProperty("statuses", out var ss) && ss.ValueKind == JsonValueKind.Array)
                    foreach (var s in ss.EnumerateArray())
                        if (Str(s, "id") is { } id && Str(s, "status") is { } st)
                        {
                            string? error = null;
                            if (s.TryGetProperty("errors", out var errs) && errs.ValueKind == JsonValueKind.Array && errs.GetArrayLength() > 0)
                            {
                                var e = errs[0];
                                error = $"{(e.TryGetProperty("code", out var code) ? code.ToString() : "?")}: {Str(e, "title") ?? Str(e, "message") ?? "failed"}"
                                    + (e.TryGetProperty("error_data", out var ed) && Str(ed, "details") is { } d ? $" ({d})" : "");
                            }
                            statuses.Add(new WhatsAppStatus(id, st.ToLowerInvariant(), Str(s, "recipient_id"), error));
                        }
            }
        }
        return (messages, statuses);
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.String or JsonValueKind.Number ? v.ToString() : null;

    /// <summary>Spanish- and Russian-speaking country codes of the wa_id; WhatsApp tells no locale.</summary>
    public static string LanguageOf(string waId)
    {
        if (waId.StartsWith('7')) return Languages.Russian;
        string[] es = ["34", "52", "54", "56", "57", "58", "51", "53", "591", "593", "595", "598", "502", "503", "504", "505", "506", "507"];
        return es.Any(waId.StartsWith) ? Languages.Spanish : Languages.English;
    }

    /// <summary>The pipeline's update for one message; <paramref name="updateId"/> is the wamid's own number (see WhatsAppMessageIds).</summary>
    public static Update ToUpdate(WhatsAppMessage wa, int updateId, Func<string, bool> isCommand)
    {
        var m = wa.Message;
        var chatId = long.TryParse(wa.From, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
        var date = long.TryParse(Str(m, "timestamp"), NumberStyles.None, CultureInfo.InvariantCulture, out var ts) ? ts : DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var from = new JsonObject
        {
            ["id"] = chatId, ["is_bot"] = false, ["first_name"] = wa.ProfileName ?? wa.From, ["language_code"] = LanguageOf(wa.From),
        };
        var chat = new JsonObject { ["id"] = chatId, ["type"] = "private", ["first_name"] = wa.ProfileName ?? wa.From };
        JsonObject Message() => new() { ["message_id"] = updateId, ["date"] = date, ["chat"] = chat.DeepClone(), ["from"] = from.DeepClone() };
        JsonObject Callback(string data) => new()
        {
            ["update_id"] = updateId,
            ["callback_query"] = new JsonObject { ["id"] = wa.WaMessageId, ["from"] = from.DeepClone(), ["chat_instance"] = "whatsapp", ["data"] = data },
        };

        JsonObject update;
        switch (Str(m, "type"))
        {
            case "interactive" when m.TryGetProperty("interactive", out var i):
                var reply = i.TryGetProperty("button_reply", out var br) ? br : i.TryGetProperty("list_reply", out var lr) ? lr : default;
                update = reply.ValueKind == JsonValueKind.Object && Str(reply, "id") is { } data ? Callback(data) : Text(Message(), null);
                break;
            case "button" when m.TryGetProperty("button", out var b):
                // A template's quick-reply button: its payload is the callback data.
                update = Callback(Str(b, "payload") ?? Str(b, "text") ?? "");
                break;
            case "text" when m.TryGetProperty("text", out var t):
                update = Text(Message(), Str(t, "body"));
                break;
            case "image" when m.TryGetProperty("image", out var img):
                var pm = Message();
                pm["photo"] = new JsonArray(new JsonObject { ["file_id"] = Str(img, "id") ?? "", ["file_unique_id"] = Str(img, "id") ?? "", ["width"] = 0, ["height"] = 0 });
                if (Str(img, "caption") is { } cap) pm["caption"] = cap;
                update = new JsonObject { ["update_id"] = updateId, ["message"] = pm };
                break;
            case "document" when m.TryGetProperty("document", out var doc):
                var dm = Message();
                dm["document"] = new JsonObject
                {
                    ["file_id"] = Str(doc, "id") ?? "", ["file_unique_id"] = Str(doc, "id") ?? "", ["file_name"] = Str(doc, "filename"), ["mime_type"] = Str(doc, "mime_type"),
                };
                if (Str(doc, "caption") is { } dcap) dm["caption"] = dcap;
                update = new JsonObject { ["update_id"] = updateId, ["message"] = dm };
                break;
            default:
                // Audio, stickers, locations…: an empty text, which the bot answers with its help.
                update = Text(Message(), "?");
                break;
        }

        JsonObject Text(JsonObject msg, string? body)
        {
            body = (body ?? "").Trim();
            var word = body.ToLowerInvariant();
            if (word is "menu" or "menú" or "меню" or "start" or "hi" or "hello" or "hola" or "привет") body = "/start";
            else if (word.Length is > 0 and <= 32 && !word.Contains(' ') && !word.StartsWith('/') && isCommand(word)) body = "/" + word;
            msg["text"] = body;
            if (body.StartsWith('/'))
                msg["entities"] = new JsonArray(new JsonObject { ["type"] = "bot_command", ["offset"] = 0, ["length"] = body.Split(' ')[0].Length });
            return new JsonObject { ["update_id"] = updateId, ["message"] = msg };
        }

        return JsonSerializer.Deserialize<Update>(update.ToJsonString(), JsonBotAPI.Options)!;
    }
}
