using System;

namespace NetGen.Tests.Infrastructure;

/// <summary>One ILGPU CPU accelerator shared by the kernel tests: the simulator every machine has.</summary>
public sealed class AcceleratorFixture : IDisposable
{
    public Device Device { get; } = Device.Open("ilgpu-cpu");

    public void Dispose() => Device.Dispose();
}

[CollectionDefinition(Name)]
public sealed class AcceleratorCollection : ICollectionFixture<AcceleratorFixture>
{
    public const string Name = "ILGPU CPU accelerator";
}
