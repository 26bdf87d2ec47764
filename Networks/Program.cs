// netgen: NetGen's command line for the networks declared in this project (AlexNet, MiniAlexNet).
return NetGen.Cli.Run(args);
