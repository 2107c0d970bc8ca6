module guardfixture

go 1.26
