using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Xunit.Abstractions;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Generator.Fuzzing;

/// <summary>
/// The generator against hundreds of random declarations (<see cref="DeclarationFuzzer"/>). For
/// every one: no generator exception (CS8785) and no hang; no error in a generated file; no error
/// in the user's files that the same files compiled without the generator do not have (but the one
/// CS0260 that stands for every layer's CS0751 and CS9248 in a type that is not partial, NG0001, and
/// there a CS0102 where the user's files already have an error); and, when
/// the generator reports no NG error, the files compile with no error but the compiler's own
/// (the partial layers it implements leave none). A case drawn without mistakes must generate a
/// network that compiles. CI runs <see cref="CaseCount"/> cases from a fixed
/// seed; <c>NETGEN_FUZZ_CASES=5000 NETGEN_FUZZ_SEED=7</c> runs a longer search by hand. A case that
/// fails is written to <c>Regressions/seed-N.cs</c> beside this file, and every file there is
/// replayed by <see cref="RegressionsStayFixed"/> for good.
/// </summary>
public class GeneratorFuzzTests(ITestOutputHelper output)
{
    private const int CaseCount = 300, FirstSeed = 20261123;

    /// <summary>The compiler's error for a partial property without its implementation: what the generator supplies.</summary>
    private const string MissingImplementation = "CS9248";

    /// <summary>
    /// The compiler's error for a type declared partial in one place and not in another: what the
    /// generator's layers cost in a type that is not partial (NG0001), in place of two errors per layer.
    /// </summary>
    private const string NotPartialPart = "CS0260";

    /// <summary>
    /// The compiler's error for a member declared twice. A type declared twice without partial is
    /// CS0101, under which the compiler does not compare the two parts' members; the generator's
    /// partial part (NG0001) makes them parts of one type, so a layer the user declared in both
    /// becomes CS0102 where the compiler already reports CS9250 (two defining declarations): the same
    /// mistake of the user's, at the same place.
    /// </summary>
    private const string DuplicateMember = "CS0102";

    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private static string RegressionFolder => Path.Combine(GeneratorHarness.RepositoryRoot, "Tests", "Generator", "Fuzzing", "Regressions");

    [Fact]
    public void RandomDeclarationsCompileOrGetDiagnostics()
    {
        int cases = int.TryParse(Environment.GetEnvironmentVariable("NETGEN_FUZZ_CASES"), out var n) ? n : CaseCount;
        int seed = int.TryParse(Environment.GetEnvironmentVariable("NETGEN_FUZZ_SEED"), out var s) ? s : FirstSeed;
        var outcomes = new Dictionary<Outcome, int>();
        var diagnostics = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var failures = new List<string>();
        for (int i = 0; i < cases; i++)
        {
            var fuzzCase = DeclarationFuzzer.Generate(seed + i);
            var (outcome, problem, ids) = Check(fuzzCase.Files);
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            foreach (var id in ids)
                diagnostics[id] = diagnostics.GetValueOrDefault(id) + 1;
            if (Environment.GetEnvironmentVariable("NETGEN_FUZZ_VERBOSE") == "1")
                output.WriteLine($"{fuzzCase.Seed} {outcome} [{string.Join(" ", ids)}] {fuzzCase.Description}");
            if (problem is null && fuzzCase.Clean && outcome != Outcome.Compiled)
                problem = $"a declaration drawn without mistakes gave {outcome}, not a compiled network";
            if (problem is null)
                continue;
            string file = Path.Combine(RegressionFolder, $"seed-{fuzzCase.Seed}.cs");
            Directory.CreateDirectory(RegressionFolder);
            File.WriteAllText(file, Regression(fuzzCase, problem));
            failures.Add($"seed {fuzzCase.Seed} ({fuzzCase.Description}): {problem}; written to {file}");
        }
        output.WriteLine($"{cases} cases from seed {seed}: " + string.Join(", ", outcomes.OrderBy(o => o.Key).Select(o => $"{o.Value} {o.Key}")));
        output.WriteLine("cases drawing each diagnostic: " + string.Join(", ", diagnostics.Select(d => $"{d.Key} {d.Value}")));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        // The search must reach the emitters: a fuzzer whose every case stopped at a diagnostic
        // would pass without testing that generated code compiles.
        Assert.True(outcomes.GetValueOrDefault(Outcome.Compiled) >= cases / 5, $"only {outcomes.GetValueOrDefault(Outcome.Compiled)} of {cases} cases generated a network");
        Assert.True(outcomes.GetValueOrDefault(Outcome.Diagnosed) >= cases / 5, $"only {outcomes.GetValueOrDefault(Outcome.Diagnosed)} of {cases} cases drew a diagnostic");
    }

    public static TheoryData<string> Regressions()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(RegressionFolder, "seed-*.cs").OrderBy(f => f, StringComparer.Ordinal))
            data.Add(Path.GetFileName(file));
        return data;
    }

    [Theory, MemberData(nameof(Regressions))]
    public void RegressionsStayFixed(string name)
    {
        var files = Split(File.ReadAllText(Path.Combine(RegressionFolder, name)));
        var (_, problem, _) = Check(files);
        Assert.Null(problem);
    }

    /// <summary>What the generator made of a case; and what was wrong with it, or null.</summary>
    private static (Outcome Outcome, string? Problem, string[] Ids) Check((string Path, string Text)[] files)
    {
        var compilation = GeneratorHarness.Compile(files);
        var run = Task.Run(() =>
        {
            var driver = GeneratorHarness.Driver().RunGeneratorsAndUpdateCompilation(compilation, out var updated, out var driverDiagnostics);
            return (Result: driver.GetRunResult().Results.Single(), Updated: updated, DriverDiagnostics: driverDiagnostics);
        });
        if (!run.Wait(Limit))
            return (Outcome.Failed, $"the generator ran longer than {Limit.TotalSeconds} s", []);
        var (result, updated, driverDiagnostics) = run.Result;
        if (result.Exception is not null || driverDiagnostics.Any(d => d.Id == "CS8785"))
            return (Outcome.Failed, $"the generator threw: {result.Exception?.GetType().Name}: {result.Exception?.Message}", []);

        var ids = result.Diagnostics.Select(d => d.Id).Distinct().OrderBy(id => id, StringComparer.Ordinal).ToArray();
        var userFiles = files.Select(f => f.Path).ToHashSet();
        var errors = updated.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        var generated = errors.Where(d => !userFiles.Contains(d.Location.SourceTree?.FilePath ?? "")).ToList();
        if (generated.Count > 0)
            return (Outcome.Failed, "generated code does not compile: " + Describe(generated), ids);

        var intrinsicErrors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        var intrinsic = intrinsicErrors.Select(Key).ToHashSet();
        var intrinsicPlaces = intrinsicErrors.Select(Place).ToHashSet();
        bool notPartial = result.Diagnostics.Any(d => d.Id == "NG0001");
        var introduced = errors.Where(d => !intrinsic.Contains(Key(d)) && !(notPartial && (d.Id == NotPartialPart || d.Id == DuplicateMember && intrinsicPlaces.Contains(Place(d))))).ToList();
        if (introduced.Count > 0)
            return (Outcome.Failed, "the generated code breaks the user's: " + Describe(introduced), ids);

        bool diagnosed = result.Diagnostics.Any(d => d.Id.StartsWith("NG", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Error);
        if (diagnosed)
            return (Outcome.Diagnosed, null, ids);
        var unimplemented = errors.Where(d => d.Id == MissingImplementation).ToList();
        if (unimplemented.Count > 0)
            return (Outcome.Failed, "no NG error, yet layers were left unimplemented: " + Describe(unimplemented), ids);
        if (errors.Count > 0)
            return (Outcome.CompilerErrors, null, ids);
        return (result.GeneratedSources.Length > 1 ? Outcome.Compiled : Outcome.NothingGenerated, null, ids);
    }

    private static string Key(Diagnostic d) => $"{d.Id}@{Place(d)}";

    private static string Place(Diagnostic d) => $"{d.Location.SourceTree?.FilePath}:{d.Location.SourceSpan}";

    private static string Describe(IEnumerable<Diagnostic> diagnostics) =>
        string.Join("; ", diagnostics.Take(3).Select(d => $"{d.Id} {d.GetMessage()} at {d.Location.GetLineSpan()}"));

    private const string FileMarker = "// ==== file: ";

    /// <summary>A failing case as one file: its seed, what went wrong, and each source after a marker line.</summary>
    private static string Regression(FuzzCase fuzzCase, string problem) =>
        $"// Fuzz seed {fuzzCase.Seed}: {fuzzCase.Description}\n// Found: {problem.Replace('\n', ' ')}\n"
        + string.Concat(fuzzCase.Files.Select(f => $"{FileMarker}{f.Path}\n{f.Text}"));

    private static (string Path, string Text)[] Split(string regression) =>
        regression.Split(FileMarker).Skip(1)
            .Select(part => (Path: part[..part.IndexOf('\n')], Text: part[(part.IndexOf('\n') + 1)..]))
            .ToArray();

    private enum Outcome
    {
        /// <summary>The generator emitted a network, and everything compiled.</summary>
        Compiled,

        /// <summary>The generator reported NG errors.</summary>
        Diagnosed,

        /// <summary>No NG error; the compiler's own errors in the user's code remain, and no others.</summary>
        CompilerErrors,

        /// <summary>No NG error, no generated network, and no error: e.g. an attribute the compiler refuses outright.</summary>
        NothingGenerated,

        Failed,
    }
}
