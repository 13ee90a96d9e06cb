using Bazaar.Server.Data;
using Telegram.Bot;

namespace Bazaar.Server.Channels;

/// <summary>A file a customer sent in a chat, fetched from the channel.</summary>
public sealed record ChatFile(byte[] Content, string? ContentType, string? FileName);

/// <summary>Fetches what a customer sent (a photo or document) from the channel that has it.</summary>
public interface IChatFileSource
{
    string Channel { get; }
    /// <summary>Null when the channel cannot give the bytes (the sandbox keeps them in the browser).</summary>
    Task<ChatFile?> DownloadAsync(string fileId, long? maxBytes, CancellationToken ct);
}

/// <summary>Telegram: getFile, then the file download URL.</summary>
internal sealed class TelegramFileSource(ITelegramBotClient bot) : IChatFileSource
{
    public string Channel => ChatChannel.Telegram;

    public async Task<ChatFile?> DownloadAsync(string fileId, long? maxBytes, CancellationToken ct)
    {
        var file = await bot.GetFile(fileId, ct);
        if (file.FilePath is null) return null;
        if (maxBytes is { } max && file.FileSize > max) return new ChatFile(new byte[max + 1], null, null);
        using var ms = new MemoryStream();
        await bot.DownloadFile(file.FilePath, ms, ct);
        return new ChatFile(ms.ToArray(), null, Path.GetFileName(file.FilePath));
    }
}
