using System.Text.Json;
using Bazaar.Server.Data;
using Microsoft.Extensions.Options;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Requests;
using Telegram.Bot.Requests.Abstractions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Payments;

namespace Bazaar.Server.Channels.Telegram;

/// <summary>
/// Makes an outbox row's Bot API call through Telegram.Bot's client: the payload is deserialized into the
/// library's request type for the method, stored files are attached as multipart uploads.
/// </summary>
public sealed class TelegramDelivery(ITelegramBotClient bot, IOptions<TelegramOptions> options) : IOutboxTransport
{
    private delegate Task<string> Call(ITelegramBotClient bot, string payload, IReadOnlyList<OutboxAttachment> files, CancellationToken ct);

    private static readonly Dictionary<string, Call> Methods = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sendMessage"] = Make<SendMessageRequest, Message>(),
        ["editMessageText"] = Make<EditMessageTextRequest, Message>(),
        ["editMessageCaption"] = Make<EditMessageCaptionRequest, Message>(),
        ["editMessageReplyMarkup"] = Make<EditMessageReplyMarkupRequest, Message>(),
        ["editMessageMedia"] = Make<EditMessageMediaRequest, Message>(),
        ["deleteMessage"] = Make<DeleteMessageRequest, bool>(),
        ["deleteMessages"] = Make<DeleteMessagesRequest, bool>(),
        ["sendPhoto"] = Make<SendPhotoRequest, Message>(),
        ["sendDocument"] = Make<SendDocumentRequest, Message>(),
        ["sendLocation"] = Make<SendLocationRequest, Message>(),
        ["sendMediaGroup"] = Make<SendMediaGroupRequest, Message[]>(),
        ["sendChatAction"] = Make<SendChatActionRequest, bool>(),
        ["copyMessage"] = Make<CopyMessageRequest, MessageId>(),
        ["forwardMessage"] = Make<ForwardMessageRequest, Message>(),
        ["pinChatMessage"] = Make<PinChatMessageRequest, bool>(),
        ["unpinChatMessage"] = Make<UnpinChatMessageRequest, bool>(),
        ["sendInvoice"] = Make<SendInvoiceRequest, Message>(),
        ["createInvoiceLink"] = Make<CreateInvoiceLinkRequest, string>(),
        ["answerCallbackQuery"] = Make<AnswerCallbackQueryRequest, bool>(),
        ["answerPreCheckoutQuery"] = Make<AnswerPreCheckoutQueryRequest, bool>(),
        ["answerShippingQuery"] = Make<AnswerShippingQueryRequest, bool>(),
        ["refundStarPayment"] = Make<RefundStarPaymentRequest, bool>(),
        ["setMyCommands"] = Make<SetMyCommandsRequest, bool>(),
        ["deleteMyCommands"] = Make<DeleteMyCommandsRequest, bool>(),
        ["setChatMenuButton"] = Make<SetChatMenuButtonRequest, bool>(),
    };

    public static IReadOnlyCollection<string> SupportedMethods => Methods.Keys;

    public string Channel => ChatChannel.Telegram;

    public bool IsEnabled => !string.IsNullOrWhiteSpace(options.Value.BotToken);

    public async Task<Delivery> SendAsync(OutboxMessage message, IReadOnlyList<OutboxAttachment> attachments, CancellationToken ct)
    {
        if (!Methods.TryGetValue(message.Method, out var call))
            return new Delivery.Rejected($"The outbox cannot send Bot API method '{message.Method}'.");
        try
        {
            return new Delivery.Sent(await call(bot, message.Payload, attachments, ct));
        }
        catch (ApiRequestException e) when (e.ErrorCode == 429)
        {
            var wait = TimeSpan.FromSeconds(Math.Max(1, e.Parameters?.RetryAfter ?? 1));
            // A flood wait on a call that is not about one chat (answerCallbackQuery, setMyCommands) holds the whole bot.
            return new Delivery.RetryAfter(wait, Global: !message.Payload.Contains("\"chat_id\""), Describe(e));
        }
        catch (ApiRequestException e) when (e.ErrorCode == 403)
        {
            return new Delivery.Blocked(Describe(e));
        }
        catch (ApiRequestException e) when (e.ErrorCode == 400)
        {
            return new Delivery.Rejected(Describe(e));
        }
        catch (ApiRequestException e)
        {
            return new Delivery.Transient(Describe(e));
        }
        catch (RequestException e)
        {
            return new Delivery.Transient($"{(int?)e.HttpStatusCode}: {e.Message}");
        }
        catch (HttpRequestException e)
        {
            return new Delivery.Transient(e.Message);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            return new Delivery.Transient("Timed out: " + e.Message);
        }
        catch (JsonException e)
        {
            return new Delivery.Rejected($"The stored payload is not a valid {message.Method} request: {e.Message}");
        }
    }

    private static string Describe(ApiRequestException e) => $"{e.ErrorCode}: {e.Message}";

    private static Call Make<TRequest, TResponse>() where TRequest : class, IRequest<TResponse> =>
        async (bot, payload, files, ct) =>
        {
            var request = JsonSerializer.Deserialize<TRequest>(payload, JsonBotAPI.Options)
                ?? throw new JsonException("The payload is null.");
            foreach (var file in files) Attach(request, file);
            var result = await bot.SendRequest(request, ct);
            return JsonSerializer.Serialize(result, JsonBotAPI.Options);
        };

    private static void Attach(object request, OutboxAttachment file)
    {
        var upload = InputFile.FromStream(new MemoryStream(file.Content, writable: false), file.FileName);
        switch (request, file.Field)
        {
            case (SendPhotoRequest r, "photo"): r.Photo = upload; break;
            case (SendDocumentRequest r, "document"): r.Document = upload; break;
            default: throw new JsonException($"A stored file for '{file.Field}' does not fit {request.GetType().Name}.");
        }
    }
}
