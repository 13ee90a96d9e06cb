using System.Text.Json;
using Bazaar.Server.Data;
using Telegram.Bot;
using Telegram.Bot.Requests;
using Telegram.Bot.Requests.Abstractions;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace Bazaar.Server.Channels;

/// <summary>
/// Adds messages to the outbox inside the caller's unit of work: nothing is written until the caller
/// calls SaveChanges, so a message is sent exactly when the state change that caused it commits.
/// </summary>
public sealed class Outbox(BazaarDb db, TimeProvider clock)
{
    /// <summary>Set by the pipeline while it handles an update, so replies can be traced to it.</summary>
    public long? CurrentInboundUpdateId { get; set; }

    public OutboxMessage Enqueue<TResponse>(ChatTarget to, IRequest<TResponse> request, bool urgent = false)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var message = new OutboxMessage
        {
            Channel = to.Channel,
            ChatId = to.ChatId,
            UserId = to.UserId,
            Method = request.MethodName,
            Payload = JsonSerializer.Serialize(request, request.GetType(), JsonBotAPI.Options),
            Urgent = urgent,
            CreatedAt = now,
            NextAttemptAt = now,
            InboundUpdateId = CurrentInboundUpdateId,
        };
        db.Set<OutboxMessage>().Add(message);
        return message;
    }

    public OutboxMessage SendText(ChatTarget to, string text, InlineKeyboardMarkup? keyboard = null, ParseMode parseMode = ParseMode.Html) =>
        Enqueue(to, new SendMessageRequest
        {
            ChatId = ChatIdOf(to), Text = text, ReplyMarkup = keyboard, ParseMode = parseMode,
        });

    public OutboxMessage EditText(ChatTarget to, int messageId, string text, InlineKeyboardMarkup? keyboard = null, ParseMode parseMode = ParseMode.Html) =>
        Enqueue(to, new EditMessageTextRequest
        {
            ChatId = ChatIdOf(to), MessageId = messageId, Text = text, ReplyMarkup = keyboard, ParseMode = parseMode,
        });

    public OutboxMessage AnswerCallback(ChatTarget to, string callbackQueryId, string? text = null, bool showAlert = false) =>
        Enqueue(to, new AnswerCallbackQueryRequest { CallbackQueryId = callbackQueryId, Text = text, ShowAlert = showAlert }, urgent: true);

    public OutboxMessage AnswerPreCheckout(ChatTarget to, string preCheckoutQueryId, string? errorMessage = null) =>
        Enqueue(to, new AnswerPreCheckoutQueryRequest { PreCheckoutQueryId = preCheckoutQueryId, Ok = errorMessage is null, ErrorMessage = errorMessage }, urgent: true);

    private static global::Telegram.Bot.Types.ChatId ChatIdOf(ChatTarget to) =>
        long.TryParse(to.ChatId, out var id) ? new global::Telegram.Bot.Types.ChatId(id) : new global::Telegram.Bot.Types.ChatId(to.ChatId);
}
