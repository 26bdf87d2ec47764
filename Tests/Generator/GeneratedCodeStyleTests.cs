using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Generator;

/// <summary>
/// The generated code reads as a person would write it: no loop that runs once, no integer
/// arithmetic by 1 or 0, no float scaled by 1, no local that is never read and no store that
/// nothing reads after it. Checked over every file the generator writes for the shipped networks
/// and every operation's probe network (<see cref="OperationSnapshotTests.Probes"/>), and the
/// checker itself against lines the generator once wrote, so it cannot pass by finding nothing.
/// </summary>
public class GeneratedCodeStyleTests
{
    /// <summary>Lines a person would not write, each with what is wrong with it.</summary>
    private static readonly (Regex Pattern, string Why)[] Identities =
    {
        (new Regex(@"for \(int (\w+) = [^;]+; \1 < 1;"), "a loop that runs once"),
        (new Regex(@"for \(int (\w+) = (\w+); \1 < \2 \+ 1;"), "a loop that runs once"),
        (new Regex(@"[*/%] 1(?=[\s)\];,])"), "an integer multiplied, divided or taken modulo by 1"),
        (new Regex(@"(?<![\w.])1 \* "), "an integer multiplied by 1"),
        (new Regex(@"[+-] 0(?=[\s)\];,])"), "0 added or subtracted"),
        (new Regex(@"(?<![\w.])0 [+-] "), "0 added to"),
        (new Regex(@"\* 0(?=[\s)\];,])"), "an integer multiplied by 0"),
        (new Regex(@"(?<![\w.])1f \* |\* 1f(?![\w.])|Create\(1f\) \* |\* Vector512\.Create\(1f\)"), "a float multiplied by 1"),
        (new Regex(@"/ \((\w+f)\)"), "a literal in parentheses"),
    };

    public static IEnumerable<object[]> Networks()
    {
        yield return new object[] { "AlexNet" };
        yield return new object[] { "MiniAlexNet" };
        foreach (var probe in OperationSnapshotTests.Probes)
            yield return new object[] { (string)probe[0] };
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void GeneratedCodeHasNoIdentityArithmeticOrDeadStores(string network)
    {
        var sources = Generate(network);
        var problems = new List<string>();
        int methods = 0;
        foreach (var (file, text) in sources)
        {
            problems.AddRange(Check(text, out int count).Select(p => $"{file}: {p}"));
            methods += count;
        }
        Assert.True(methods >= 3, $"{network}: only {methods} method bodies were checked");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>
    /// Layers whose loops run once where a window's position can still fall outside the input, so
    /// the body written once keeps its test as an <c>if</c> around it; and layers of one unit or one
    /// channel. Each must compile and read cleanly.
    /// </summary>
    public static TheoryData<string> Edges => new()
    {
        "[Conv(2, Kernel = 3, Pad = 1)] public partial Layer Conv { get; } [Conv(2, Kernel = 1, Stride = 2, Round = Rounding.Floor)] public partial Layer Conv2 { get; } [Dense(3)] public partial Layer Fc { get; }",
        "[Conv(2, Kernel = 1, Pad = 1), Relu] public partial Layer Conv { get; } [Conv(2, Kernel = 1, Pad = 1), Relu] public partial Layer Conv2 { get; } [Dense(3)] public partial Layer Fc { get; }",
        "[Conv(1, Kernel = 3)] public partial Layer Conv { get; } [Conv(2, Kernel = 1)] public partial Layer Conv2 { get; } [Dense(1)] public partial Layer Fc { get; } [Dense(3)] public partial Layer Out { get; }",
        "[Conv(2, Kernel = 6), Tanh, Dropout(0.5f), Elu(0.5f)] public partial Layer Conv { get; } [Dense(2), Gelu] public partial Layer Fc { get; } [Dense(2)] public partial Layer Out { get; }",
        "[Conv(4, Kernel = 3, Stride = 2, Pad = 1, Groups = 2, Round = Rounding.Floor), AvgPool(2, Pad = 1, Round = Rounding.Ceil)] public partial Layer Conv { get; } [Dense(3)] public partial Layer Fc { get; }",
        "[Conv(2, Kernel = 6), GlobalAvgPool] public partial Layer Conv { get; } [Conv(4, Kernel = 1), Relu, GlobalAvgPool] public partial Layer Conv2 { get; } [Dense(3)] public partial Layer Fc { get; }",
    };

    [Theory]
    [MemberData(nameof(Edges))]
    public void EdgeLayersCompileAndReadCleanly(string layers)
    {
        var (result, output) = GeneratorHarness.Run(("Edge.cs", Probe("Edge", layers)));
        Assert.Empty(GeneratorHarness.Diagnostics(result));
        Assert.Empty(GeneratorHarness.CompileErrors(output));
        var problems = result.GeneratedSources.SelectMany(s => Check(s.SourceText.ToString(), out _).Select(p => $"{s.HintName}: {p}")).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static string Probe(string name, string layers) => $$"""
        using NetGen;
        namespace Probes;
        [Network(Channels = 2, Height = 6, Width = 6)]
        public sealed partial class {{name}}Probe
        {
            {{layers}}
        }
        """;

    /// <summary>Lines the generator wrote before this check: each is one of the problems it finds.</summary>
    public static TheoryData<string> OldLines => new()
    {
        "            for (int c = 0; c < 1; c++)\n            {\n                partial += input[c];\n            }",
        "            int inputPlane = (n * 1 + c) * 28;\n            x[inputPlane] = 0;",
        "            int ky = index / 1 % 1;\n            x[ky] = 0;",
        "            int first = index % 1 * 64;\n            x[first] = 0;",
        "            int weightRow = (weightPlane + ky) * 1;\n            x[weightRow] = 0;",
        "            int iy = oy + 0;\n            x[iy] = 0;",
        "            network.Launchers.Fc8Softmax(BatchSize * 1, fc8, fc8Softmax); // softmax",
        "            float valueAfter = value > 0f ? value : 1f * (XMath.Exp(value) - 1f);\n            gradient *= valueAfter;",
        "            gradient += delta[deltaPlane + oy * 4 + ox] / (4f);",
        "            CpuLoss.SoftmaxCrossEntropy(10, forward.fc8, Labels, Probabilities, Losses, Ranks, fc8Gradient, LabelSmoothing, BatchSize);",
        // a kept value after the last step, and a value computed that nothing reads
        "            float valueAfter = XMath.Tanh(value);\n            gradient *= 1f - valueAfter * valueAfter;\n            value = valueAfter;\n            inputGradient[index] = gradient;",
        "            float valueAfter = value > 0f ? value : 0.2f * value;\n            gradient *= value > 0f ? 1f : 0.2f;\n            inputGradient[index] = gradient;",
        "            {\n                bool kept = dropout.Keeps(1, index, 0.25f);\n                gradient = kept ? gradient * 1.3333334f : 0f;\n                value = kept ? value * 1.3333334f : 0f;\n            }\n            return gradient;",
    };

    [Theory]
    [MemberData(nameof(OldLines))]
    public void TheCheckFindsWhatTheGeneratorOnceWrote(string body)
    {
        string header = body.Contains("CpuLoss") ? "private void RunLossOnCpu(global::NetGen.DropoutKey dropout)" : "public static float Old(int index, float value, float gradient)";
        string method = $"        {header}\n        {{\n{body}\n        }}\n";
        Assert.NotEmpty(Check(method, out int methods));
        Assert.Equal(1, methods);
    }

    [Fact]
    public void TheCheckAcceptsWhatAPersonWrites()
    {
        string method = """
                    public static float Fine(int index, float value, float gradient)
                    {
                        float best = float.NegativeInfinity;
                        for (int y = 0; y < 3; y++)
                        {
                            float a = input[index * 2 + y];
                            if (a > best)
                            {
                                best = a;
                            }
                        }
                        float valueAfter = XMath.Tanh(value);
                        gradient *= 1f - valueAfter * valueAfter;
                        value = dropout.Keeps(1, index, 0.25f) ? value * 1.3333334f : 0f;
                        gradient *= 0.1f * value + 1.5f;
                        return gradient;
                    }

            """;
        Assert.Empty(Check(method, out int methods));
        Assert.Equal(1, methods);
    }

    private static IEnumerable<(string File, string Text)> Generate(string network)
    {
        if (network is "AlexNet" or "MiniAlexNet")
        {
            string path = Path.Combine(GeneratorHarness.RepositoryRoot, "Runtime", "Networks", network + ".cs");
            var (result, _) = GeneratorHarness.Run((path, File.ReadAllText(path)));
            return result.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString())).ToArray();
        }
        string layer = (string)OperationSnapshotTests.Probes.Single(p => (string)p[0] == network)[1];
        var (probe, _) = GeneratorHarness.Run(("Probe.cs", Probe(network, layer)));
        return probe.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString())).ToArray();
    }

    private static readonly Regex MethodHeader = new(@"^\s*(public|private|protected|internal)\b[^=;]*\)\s*$");
    private static readonly Regex Declaration = new(@"^\s*(?:int|long|float|bool|var|Vector512<float>) (\w+) = ");
    private static readonly Regex Store = new(@"^\s*(?:if \(dropout\.Training != 0\)\s*)?(\w+) = ");

    /// <summary>Every problem in <paramref name="text"/>'s method bodies, and how many bodies there were.</summary>
    internal static List<string> Check(string text, out int methods)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n').Select(StripComment).ToArray();
        var problems = new List<string>();
        methods = 0;
        for (int i = 0; i + 1 < lines.Length; i++)
        {
            if (!MethodHeader.IsMatch(lines[i]) || lines[i + 1].Trim() != "{")
                continue;
            int end = BlockEnd(lines, i + 1);
            methods++;
            var parameters = Parameters(lines[i]);
            if (lines[i].TrimStart().StartsWith("private ", System.StringComparison.Ordinal))
            {
                // A private method's parameters are the generator's own choice, unlike an override's.
                foreach (string p in parameters.Where(p => !ReadIn(lines, i + 2, end, p)))
                    problems.Add($"parameter {p} is never read: {lines[i].Trim()}");
            }
            CheckBody(lines, parameters, i + 2, end, problems);
            i = end;
        }
        return problems;
    }

    /// <summary>The parameter names of a method header.</summary>
    private static HashSet<string> Parameters(string header)
    {
        string list = header.Substring(header.IndexOf('(') + 1).TrimEnd().TrimEnd(')');
        list = Regex.Replace(list, "<[^<>]*>", "");
        return new HashSet<string>(list.Split(',').Select(p => p.Trim().Split(' ').Last()).Where(p => p.Length > 0));
    }

    private static void CheckBody(string[] lines, HashSet<string> locals, int start, int end, List<string> problems)
    {
        for (int i = start; i < end; i++)
        {
            if (Declaration.Match(lines[i]) is { Success: true } d)
                locals.Add(d.Groups[1].Value);
        }
        for (int i = start; i < end; i++)
        {
            string line = lines[i];
            foreach (var (pattern, why) in Identities)
                if (pattern.IsMatch(line))
                    problems.Add($"{why}: {line.Trim()}");
            if (Declaration.Match(line) is { Success: true } d && !ReadIn(lines, i + 1, end, d.Groups[1].Value))
                problems.Add($"{d.Groups[1].Value} is never read: {line.Trim()}");
            if (Store.Match(line) is { Success: true } s && !Declaration.IsMatch(line) && locals.Contains(s.Groups[1].Value))
            {
                string name = s.Groups[1].Value;
                int from = OutermostLoop(lines, start, i) is int loop ? loop : i + 1;
                if (!ReadIn(lines, from, end, name, except: i))
                    problems.Add($"{name} is stored and never read again: {line.Trim()}");
            }
        }
    }

    /// <summary>Whether a line in [from, end) other than <paramref name="except"/> reads <paramref name="name"/>.</summary>
    private static bool ReadIn(string[] lines, int from, int end, string name, int except = -1)
    {
        var word = new Regex($@"\b{Regex.Escape(name)}\b");
        for (int j = from; j < end; j++)
        {
            if (j == except)
                continue;
            string line = lines[j];
            var m = Store.Match(line);
            if (m.Success && m.Groups[1].Value == name)
                line = line.Substring(m.Length); // the right-hand side only
            if (word.IsMatch(line))
                return true;
        }
        return false;
    }

    /// <summary>The header line of the outermost loop around line <paramref name="at"/> in the body, or null.</summary>
    private static int? OutermostLoop(string[] lines, int start, int at)
    {
        int? outermost = null;
        var open = new Stack<int>();
        for (int j = start; j < at; j++)
        {
            string t = lines[j].Trim();
            if (t == "{")
                open.Push(j - 1);
            else if (t == "}")
                open.Pop();
        }
        foreach (int header in open)
            if (lines[header].TrimStart().StartsWith("for ", System.StringComparison.Ordinal))
                outermost = header;
        if (at > 0 && lines[at - 1].TrimStart().StartsWith("for ", System.StringComparison.Ordinal))
            outermost ??= at - 1;
        return outermost;
    }

    /// <summary>The line of the brace closing the one opened on line <paramref name="open"/>.</summary>
    private static int BlockEnd(string[] lines, int open)
    {
        int depth = 0;
        for (int j = open; j < lines.Length; j++)
        {
            string t = lines[j].Trim();
            if (t == "{")
                depth++;
            else if (t == "}" && --depth == 0)
                return j;
        }
        return lines.Length;
    }

    private static string StripComment(string line)
    {
        int comment = line.IndexOf("//", System.StringComparison.Ordinal);
        return comment >= 0 ? line.Substring(0, comment).TrimEnd() : line;
    }
}
