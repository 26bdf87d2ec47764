using System;
using System.CommandLine;

namespace NetGen.CommandLine;

/// <summary>
/// <c>netgen completion bash|zsh</c>: a script that completes verbs, options, network names and
/// device kinds by asking the program itself through System.CommandLine's <c>[suggest]</c> directive,
/// so the completions always match the program's own networks and options.
/// </summary>
internal static class CompletionCommand
{
    public static Command Create()
    {
        var shell = new Argument<string>("shell") { Description = "the shell to write the script for" };
        shell.AcceptOnlyFromAmong("bash", "zsh");
        var command = new Command("completion", "Print a shell completion script for this program: add `source <(netgen completion bash)` to ~/.bashrc.") { shell };
        command.SetAction(parsed =>
        {
            Console.Write(Script(parsed.GetValue(shell)!, Verbs.ProgramName));
            return 0;
        });
        return Verbs.WithExamples(command, "completion bash > ~/.netgen-completion.bash", "completion zsh");
    }

    /// <summary>
    /// The script: it passes the words after the program's name, and the cursor's position within
    /// them, to <c>PROGRAM [suggest:POSITION] "LINE"</c>, which prints one completion a line.
    /// </summary>
    public static string Script(string shell, string program)
    {
        string function = "_" + program.Replace('-', '_').Replace('.', '_') + "_complete";
        string bash = $$"""
            {{function}}() {
                local line="${COMP_LINE:0:COMP_POINT}"
                local words="${line#*[[:space:]]}"
                [ "$words" = "$line" ] && words=""
                local IFS=$'\n'
                COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" "[suggest:${#words}]" "$words" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
            }
            complete -o default -F {{function}} {{program}}

            """;
        return shell == "zsh" ? "autoload -U +X bashcompinit && bashcompinit\n" + bash : bash;
    }
}
