using System;
using Microsoft.CodeAnalysis;
using NetGen.Generator.Emit;
using NetGen.Generator.Emit.Kernels;
using NetGen.Generator.Emit.Kernels.Backward;
using NetGen.Generator.Model;
using NetGen.Generator.Parsing;
using NetGen.Generator.Planning;

namespace NetGen.Generator;

/// <summary>
/// The NetGen source generator: [Network] class -> Parsing -> Model -> Planning -> Emit.
/// This method only wires the steps; each lives in its own folder.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class NetworkGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(NetworkParser.NetworkAttributeName,
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax,
                static (syntax, token) => NetworkParser.Parse(syntax, token))
            .Where(static result => result is not null)
            .Select(static (result, _) => result!)
            .WithTrackingName(StepNames.Parse);

        var analysed = parsed
            .Select(static (result, _) => NetworkAnalyzer.Analyze(result))
            .WithTrackingName(StepNames.Analyze);

        // Diagnostics carry locations, so they travel apart from the model: moving a network in
        // its file re-reports them without regenerating any code.
        var diagnostics = analysed
            .Select(static (result, _) => result.Diagnostics)
            .WithTrackingName(StepNames.Diagnostics);
        context.RegisterSourceOutput(diagnostics, static (output, list) =>
        {
            foreach (var diagnostic in list)
                output.ReportDiagnostic(diagnostic.ToDiagnostic());
        });

        var models = analysed
            .Select(static (result, _) => result with { Diagnostics = default })
            .WithTrackingName(StepNames.Model);

        var plans = models
            .Select(static (result, _) => (Result: result, Plan: result.Model is { } model ? Planner.Plan(model) : null))
            .WithTrackingName(StepNames.Plan);

        context.RegisterSourceOutput(plans, static (output, item) => Emit(output, item.Result, item.Plan));
    }

    private static void Emit(SourceProductionContext output, AnalysisResult result, NetworkPlan? plan)
    {
        string hint = result.Type.HintName;
        if (plan is null)
        {
            if (FallbackEmitter.CanEmit(result))
                output.AddSource(hint + ".g.cs", FallbackEmitter.Emit(result));
            return;
        }
        output.AddSource(hint + ".g.cs", NetworkEmitter.Emit(plan));
        output.AddSource(hint + ".Kernels.g.cs", KernelEmitter.Emit(plan));
        output.AddSource(hint + ".Forward.g.cs", ForwardEmitter.Emit(plan));
        output.AddSource(hint + ".BackwardKernels.g.cs", BackwardKernelEmitter.Emit(plan));
        output.AddSource(hint + ".Backward.g.cs", BackwardEmitter.Emit(plan));
        output.AddSource(hint + ".Trainer.g.cs", TrainerEmitter.Emit(plan));
        output.AddSource(hint + ".Cpu.g.cs", CpuEmitter.Emit(plan));
        if (plan.Partition is not null)
            output.AddSource(hint + ".Partition.g.cs", PartitionEmitter.Emit(plan));
    }
}
