import { applyDecorators } from '@nestjs/common';
import { ArrayMaxSize, IsArray, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

/** Optional tags: up to 20 non-empty strings of at most 50 characters. */
const Tags = () =>
  applyDecorators(
    IsOptional(),
    IsArray(),
    ArrayMaxSize(20),
    IsString({ each: true }),
    MinLength(1, { each: true }),
    MaxLength(50, { each: true }),
  );

export class CreatePostDto {
  @IsString() @MinLength(1) @MaxLength(200) title: string;
  @IsString() @MaxLength(100_000) body: string;
  @Tags() tags?: string[];
}

export class UpdatePostDto {
  @IsOptional() @IsString() @MinLength(1) @MaxLength(200) title?: string;
  @IsOptional() @IsString() @MaxLength(100_000) body?: string;
  @Tags() tags?: string[];
}
