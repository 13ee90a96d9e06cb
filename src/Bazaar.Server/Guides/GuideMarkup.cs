using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Bazaar.Server.Guides;

/// <summary>
/// The guides' Markdown-like text to Telegram HTML. Operators write **bold**, *italic* or _italic_, `code`,
/// [a link](https://…), "# " headings (bold lines) and "- " bullets; anything else is plain text, HTML-escaped, so a
/// guide can never break the message.
/// </summary>
public static partial class GuideMarkup
{
    [GeneratedRegex(@"\[([^\]\n]+)\]\((https?://[^\s)]+|tg://[^\s)]+)\)")]
    private static partial Regex Link();
    [GeneratedRegex(@"`([^`\n]+)`")]
    private static partial Regex Code();
    [GeneratedRegex(@"\*\*([^*\n]+)\*\*")]
    private static partial Regex Bold();
    [GeneratedRegex(@"(?<![\w*])\*([^*\n]+)\*(?![\w*])|(?<!\w)_([^_\n]+)_(?!\w)")]
    private static partial Regex Italic();

    public static string ToHtml(string markup)
    {
        var lines = markup.Replace("\r\n", "\n").Split('\n');
        var sb = new StringBuilder();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (i > 0) sb.Append('\n');
            if (line.StartsWith("# ", StringComparison.Ordinal) || line.StartsWith("## ", StringComparison.Ordinal))
                sb.Append("<b>").Append(Inline(line.TrimStart('#').Trim())).Append("</b>");
            else if (line.StartsWith("- ", StringComparison.Ordinal) || line.StartsWith("* ", StringComparison.Ordinal))
                sb.Append("• ").Append(Inline(line[2..]));
            else sb.Append(Inline(line));
        }
        return sb.ToString();
    }

    /// <summary>Code spans are cut out first, so nothing inside them is formatted; the rest is escaped, then marked up.</summary>
    private static string Inline(string text)
    {
        var codes = new List<string>();
        text = Code().Replace(text, m => { codes.Add(m.Groups[1].Value); return $"\u0001{codes.Count - 1}\u0002"; });
        var html = WebUtility.HtmlEncode(text);
        html = Link().Replace(html, m => $"<a href=\"{m.Groups[2].Value}\">{m.Groups[1].Value}</a>");
        html = Bold().Replace(html, "<b>$1</b>");
        html = Italic().Replace(html, m => $"<i>{(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value)}</i>");
        return Regex.Replace(html, "\u0001(\\d+)\u0002", m => $"<code>{WebUtility.HtmlEncode(codes[int.Parse(m.Groups[1].Value)])}</code>");
    }
}
