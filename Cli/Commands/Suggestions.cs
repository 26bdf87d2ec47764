using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Linq;

namespace NetGen.CommandLine;

/// <summary>
/// One line that says what is wrong with a command line that did not parse, with the option or
/// verb a misspelling most likely meant. System.CommandLine finds the mistakes; its own typo hints
/// come only from its error printer, which also prints the whole help, so the nearest names are
/// worked out here from the command's own options and verbs.
/// </summary>
internal static class Suggestions
{
    public static string Explain(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        if (parsed.UnmatchedTokens.FirstOrDefault() is { } token)
        {
            bool option = token.StartsWith('-');
            var candidates = option
                ? command.Options.Concat(parsed.RootCommandResult.Command.Options.Where(o => o.Recursive)).SelectMany(o => o.Aliases.Prepend(o.Name))
                : command.Subcommands.Select(c => c.Name);
            string what = option ? $"unknown option '{token}'" + (command is RootCommand ? "" : $" for {command.Name}")
                : command is RootCommand ? $"unknown command '{token}'"
                : command.Arguments.Count == 0 ? $"{command.Name} takes no argument '{token}'"
                : $"unexpected argument '{token}' for {command.Name}";
            return Nearest(token, candidates) is { Count: > 0 } near ? $"{what}; did you mean {string.Join(" or ", near.Select(n => $"'{n}'"))}?" : what;
        }
        // One line, whatever the library's message spans (AcceptOnlyFromAmong lists its values a line each).
        return string.Join(' ', parsed.Errors[0].Message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(p => p.Trim())).TrimEnd('.');
    }

    /// <summary>The names a mistyped <paramref name="word"/> most likely meant: those it begins, or the few edits away from it.</summary>
    public static IReadOnlyList<string> Nearest(string word, IEnumerable<string> names)
    {
        var distinct = names.Where(n => n.Length > 1).Distinct().ToArray();
        var extended = distinct.Where(n => n.StartsWith(word, StringComparison.Ordinal) && word.TrimStart('-').Length >= 2).ToArray();
        if (extended.Length > 0)
            return extended;
        int allowed = Math.Max(1, word.TrimStart('-').Length / 3);
        var scored = distinct.Select(n => (Name: n, Distance: Distance(word, n))).Where(x => x.Distance <= allowed).ToArray();
        return scored.Length == 0 ? [] : scored.Where(x => x.Distance == scored.Min(s => s.Distance)).Select(x => x.Name).ToArray();
    }

    /// <summary>Damerau-Levenshtein distance (optimal string alignment): insertions, deletions, substitutions and swaps of neighbours.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
            d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++)
            d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
